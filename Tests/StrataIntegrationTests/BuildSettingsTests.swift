import Foundation
import Testing

/// Build-only settings never cost a layer, and a missing update layer is
/// named before anything is resolved.
@Suite(.needsRoot) struct BuildSettingsTests {
    private func keys(_ run: Sandbox.Run) throws -> [String] {
        try #require(try run.json()["layers"] as? [[String: Any]]).compactMap { $0["key"] as? String }
    }

    private func reused(_ run: Sandbox.Run) throws -> Bool {
        try #require(try run.json()["layers"] as? [[String: Any]]).allSatisfy { $0["reused"] as? Bool == true }
    }

    @Test func buildEnvironmentReachesTheBuildAndChangesNoKey() throws {
        let sandbox = try Sandbox()
        try sandbox.writeBuildScript("#!/bin/sh\nset -eu\nmkdir -p /build/out\necho \"${DEB_BUILD_OPTIONS:-unset} ${EXTRA:-unset}\" > /build/out/options\n", for: "hello")
        let first = try sandbox.build("hello")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try String(contentsOfFile: sandbox.work + "/out/options", encoding: .utf8) == "unset unset\n")
        let installs = sandbox.installRuns

        try sandbox.editProfile { $0.replacingOccurrences(of: "[build]\n", with: "[build.env]\nDEB_BUILD_OPTIONS = \"nocheck\"\n\n[build]\n") }
        let withTable = try sandbox.build("hello")
        #expect(withTable.status == 0, "\(withTable.stderr)")
        #expect(try String(contentsOfFile: sandbox.work + "/out/options", encoding: .utf8) == "nocheck unset\n")
        #expect(try keys(withTable) == keys(first), "[build.env] changed a key")
        #expect(try reused(withTable), "[build.env] cost a layer")

        let withOption = try sandbox.build("hello", ["--env", "DEB_BUILD_OPTIONS=nocheck parallel=4", "--env", "EXTRA=x=y"])
        #expect(withOption.status == 0, "\(withOption.stderr)")
        #expect(try String(contentsOfFile: sandbox.work + "/out/options", encoding: .utf8) == "nocheck parallel=4 x=y\n",
                "--env must win over [build.env] and keep everything after the first '='")
        #expect(try keys(withOption) == keys(first), "--env changed a key")
        #expect(try reused(withOption))
        #expect(sandbox.installRuns == installs, "a build-only setting made the install run again")

        // [env], by contrast, is in the keys: the same variable there makes a new deps layer.
        try sandbox.editProfile { $0.replacingOccurrences(of: "[env]\n", with: "[env]\nDEB_BUILD_OPTIONS = \"nocheck\"\n") }
        let inEnv = try sandbox.build("hello")
        #expect(inEnv.status == 0, "\(inEnv.stderr)")
        #expect(try keys(inEnv).last != keys(first).last, "[env] must be in the deps key")
    }

    @Test(arguments: ["NAME", "=x", "1X=y", "A-B=c"])
    func aBadEnvOptionIsRefused(assignment: String) throws {
        let sandbox = try Sandbox()
        let run = try sandbox.build("hello", ["--env", assignment])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--env '\(assignment)'"), "\(run.stderr)")
    }

    @Test func aMissingUpdateLayerIsNamedBeforeResolving() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile {
            $0.replacingOccurrences(of: #"resolve = "/srv/demo-repo/bin/resolve""#,
                                    with: #"resolve = "echo run >> /srv/log/resolves && /srv/demo-repo/bin/resolve""#)
                + "\n[update]\nrun = \"echo 1 > /etc/distro-version\"\nstate = \"cat /etc/distro-version\"\n"
        }
        #expect(try String(contentsOfFile: sandbox.profile, encoding: .utf8).contains("/srv/log/resolves"))
        let resolves = { ((try? String(contentsOfFile: sandbox.log + "/resolves", encoding: .utf8)) ?? "").split(separator: "\n").count }
        let before = resolves()
        for command in [["build", "--profile", sandbox.profile, "--output", sandbox.work + "/out"], ["plan", "--profile", sandbox.profile]] {
            let run = try sandbox.strata(command + [sandbox.source("hello")])
            #expect(run.status == 2, "\(command[0]): \(run.stderr)")
            #expect(run.stderr.contains("has an [update] table but no update layer for it: run 'strata update \(sandbox.profile)'"),
                    "\(command[0]): \(run.stderr)")
            try sandbox.expectTornDown(run)
        }
        #expect(resolves() == before, "the resolver ran although the update layer is missing")
        #expect(sandbox.installRuns == 0)

        let built = try sandbox.build("hello", ["--update-if-missing"])
        #expect(built.status == 0, "\(built.stderr)")
        let roles = try #require(try built.json()["layers"] as? [[String: Any]]).compactMap { $0["role"] as? String }
        #expect(roles == ["base", "update", "deps"])
        #expect(resolves() > before, "the resolver's log does not count runs: the check above proves nothing")
        #expect(try #require(try built.json()["warnings"] as? [String]).contains { $0.contains("--update-if-missing") })

        // An update layer of another recipe: the message says what differs.
        try sandbox.editProfile { $0.replacingOccurrences(of: "[env]\n", with: "[env]\nDEB_BUILD_OPTIONS = \"nocheck\"\n") }
        let other = try sandbox.strata(["plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(other.status == 2)
        #expect(other.stderr.contains("was made with another recipe: recipe changed (env DEB_BUILD_OPTIONS)"), "\(other.stderr)")
    }

    /// An update layer that arrives by pull becomes the store's current one
    /// for its recipe: a build in a store that only pulled needs no update.
    @Test func aPulledUpdateLayerIsTheCurrentOne() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile { $0 + "\n[update]\nrun = \"echo 1 > /etc/distro-version\"\nstate = \"cat /etc/distro-version\"\n" }
        #expect(try sandbox.strata(["update", sandbox.profile]).status == 0)
        let first = try sandbox.build("hello")
        #expect(first.status == 0, "\(first.stderr)")
        let deps = try #require(try keys(first).last)
        let registry = try RegistryServer(in: sandbox.work)
        #expect(try sandbox.strata(["push", deps, "--to", registry.repository]).status == 0)

        let other = try sandbox.secondStore()
        let pulled = try sandbox.strata(["--store", other, "pull", deps, "--from", registry.repository])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let installs = sandbox.installRuns
        let built = try sandbox.strata(sandbox.buildArguments("hello") + ["--store", other])
        #expect(built.status == 0, "a store that pulled the update layer must build without 'strata update': \(built.stderr)")
        #expect(try keys(built) == keys(first))
        #expect(try reused(built))
        #expect(sandbox.installRuns == installs)
    }
}
