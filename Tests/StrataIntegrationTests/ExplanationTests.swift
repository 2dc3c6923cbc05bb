import Foundation
import Testing

/// Every miss is explained as exactly the kind of change that caused it, and
/// changes that must not invalidate a layer are reported as reuse.
@Suite(.needsRoot) struct ExplanationTests {
    /// A sandbox whose hello package has been built once: the layer to compare with.
    private func builtSandbox(withUpdate: Bool = false) throws -> Sandbox {
        let sandbox = try Sandbox()
        if withUpdate {
            try FileManager.default.createDirectory(atPath: sandbox.work + "/versions", withIntermediateDirectories: true)
            try "distro 1\n".write(toFile: sandbox.work + "/versions/version", atomically: true, encoding: .utf8)
            try sandbox.editProfile {
                $0 + "\n[[mount]]\nsource = \"\(sandbox.work)/versions\"\ntarget = \"/srv/versions\"\nreadonly = true\n"
                    + "\n[update]\nrun = \"cp /srv/versions/version /etc/distro-version\"\nstate = \"cat /etc/distro-version\"\n"
            }
            #expect(try sandbox.strata(["update", sandbox.profile]).status == 0)
        }
        let first = try sandbox.build("hello")
        try #require(first.status == 0, "\(first.stderr)")
        return sandbox
    }

    private func plan(_ sandbox: Sandbox, _ package: String = "hello", profile: String? = nil) throws -> Sandbox.Run {
        try sandbox.strata(["--json", "plan", "--profile", profile ?? sandbox.profile, sandbox.source(package)])
    }

    /// The kinds of change a plan's deps explanation reports, by their JSON names.
    private func reportedKinds(_ run: Sandbox.Run) throws -> (kinds: Set<String>, dependencyKinds: [String], summary: String) {
        #expect(run.status == 10, "the change must miss: \(run.stdout) \(run.stderr)")
        let layers = try #require(try run.json()["layers"] as? [[String: Any]])
        let deps = try #require(layers.first { $0["role"] as? String == "deps" })
        let explanation = try #require(deps["explanation"] as? [String: Any], "no explanation: \(deps)")
        let difference = try #require(explanation["difference"] as? [String: Any])
        var kinds = Set<String>()
        for key in ["format", "role", "arch", "cache_version", "base", "update", "parent"] where difference[key] != nil {
            kinds.insert(key)
        }
        let dependencies = try #require(difference["dependencies"] as? [String: Any])
        var dependencyKinds: [String] = []
        for key in ["changed", "added", "removed"] {
            let items = dependencies[key] as? [[String: Any]] ?? []
            if !items.isEmpty { kinds.insert(key) }
            if key == "changed" { dependencyKinds = items.flatMap { $0["kinds"] as? [String] ?? [] } }
        }
        let recipe = try #require(difference["recipe"] as? [String: Any])
        for key in ["command", "network"] where recipe[key] != nil { kinds.insert("recipe." + key) }
        for key in ["environment", "mounts_added", "mounts_removed"] where !((recipe[key] as? [Any])?.isEmpty ?? (recipe[key] as? [String: Any])?.isEmpty ?? true) {
            kinds.insert("recipe." + key)
        }
        return (kinds, dependencyKinds, explanation["summary"] as? String ?? "")
    }

    private func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func aNewVersionIsReportedAsAVersionChange() throws {
        let sandbox = try builtSandbox()
        #expect(try Sandbox.shell(Sandbox.repository + "/Examples/demo/publish-update.sh", [sandbox.work + "/repo"]).status == 0)
        let report = try reportedKinds(try plan(sandbox))
        #expect(report.kinds == ["changed"])
        // greet 1.1's files differ too, so its package hash changes with the version.
        #expect(report.dependencyKinds == ["version", "hash"], "\(report.dependencyKinds)")
        #expect(report.summary.contains("1 changed (greet 1.0-1 → 1.1-1)"), "\(report.summary)")
        #expect(report.summary.contains("base unchanged") && report.summary.contains("recipe unchanged"))
    }

    @Test func aNewReleaseIsReportedAsAReleaseChange() throws {
        let sandbox = try builtSandbox()
        try FileManager.default.copyItem(atPath: sandbox.work + "/repo/pool/greet-1.0-1", toPath: sandbox.work + "/repo/pool/greet-1.0-2")
        let index = try String(contentsOfFile: sandbox.work + "/repo/index", encoding: .utf8)
        try write(index + "greet 1.0 2 libtext\n", sandbox.work + "/repo/index")
        let report = try reportedKinds(try plan(sandbox))
        #expect(report.kinds == ["changed"])
        #expect(report.dependencyKinds == ["release"])
        #expect(report.summary.contains("greet 1.0-1 → 1.0-2"), "\(report.summary)")
    }

    @Test func aNewPackageHashIsReportedAsAHashChange() throws {
        let sandbox = try builtSandbox()
        try write("#!/bin/sh\necho rebuilt greet\n", sandbox.work + "/repo/pool/greet-1.0-1/usr/bin/greet")
        let report = try reportedKinds(try plan(sandbox))
        #expect(report.kinds == ["changed"])
        #expect(report.dependencyKinds == ["hash"])
        #expect(report.summary.contains("with a new package hash (greet 1.0-1:"), "\(report.summary)")
    }

    @Test func anAddedAndARemovedDependencyAreReportedAsSuch() throws {
        let sandbox = try builtSandbox()
        try FileManager.default.createDirectory(atPath: sandbox.work + "/repo/pool/extra-3.1-1/usr/share/extra", withIntermediateDirectories: true)
        let index = try String(contentsOfFile: sandbox.work + "/repo/index", encoding: .utf8)
        try write(index + "extra 3.1 1 -\n", sandbox.work + "/repo/index")
        try write("greet\npkgtool\nextra\n", sandbox.source("hello") + "/build-depends")
        let added = try reportedKinds(try plan(sandbox))
        #expect(added.kinds == ["added"])
        #expect(added.summary.contains("1 added (extra 3.1-1)"), "\(added.summary)")

        try write("greet\n", sandbox.source("hello") + "/build-depends")
        let removed = try reportedKinds(try plan(sandbox))
        #expect(removed.kinds == ["removed"])
        #expect(removed.summary.contains("1 removed (pkgtool 0.9-2)"), "\(removed.summary)")
    }

    @Test func aChangedBaseImageIsReportedAsABaseChange() throws {
        let sandbox = try builtSandbox()
        try write("changed\n", sandbox.work + "/rootfs/etc/motd")
        #expect(try sandbox.strata(["image", "rm", "demo-base"]).status == 0)
        #expect(try sandbox.strata(["image", "import", "demo-base", sandbox.work + "/rootfs"]).status == 0)
        let report = try reportedKinds(try plan(sandbox))
        #expect(report.kinds == ["base"])
        #expect(report.summary.contains("base image changed"), "\(report.summary)")
    }

    @Test func aChangedUpdateStateIsReportedAsAnUpdateChange() throws {
        let sandbox = try builtSandbox(withUpdate: true)
        try write("distro 2\n", sandbox.work + "/versions/version")
        let update = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(try update.json()["changed"] as? Bool == true)
        let updateSummary = try #require((try update.json()["explanation"] as? [String: Any])?["summary"] as? String)
        #expect(updateSummary.contains("update state changed (+1: distro 2; −1: distro 1)"), "\(updateSummary)")
        let report = try reportedKinds(try plan(sandbox))
        #expect(report.kinds == ["update"])
        #expect(report.summary.contains("update state changed"), "\(report.summary)")
    }

    @Test(arguments: [
        ("arch", #"cache_version = 1"#, "arch = \"riscv64\"\ncache_version = 1", "arch changed (x86_64 → riscv64)"),
        ("cache_version", #"cache_version = 1"#, "cache_version = 2", "cache_version changed (1 → 2)"),
        ("recipe.command", "&& /srv/demo-repo/bin/install", "&& /srv/demo-repo/bin/install --verbose", "recipe changed (install command)"),
        ("recipe.environment", #"LANG = "C.UTF-8""#, "LANG = \"C.UTF-8\"\nTZ = \"UTC\"", "recipe changed (env TZ)"),
        ("recipe.mounts_added", "[env]", "[[mount]]\nsource = \"/etc\"\ntarget = \"/srv/host-etc\"\nreadonly = true\nkind = \"cache\"\n\n[env]", "recipe changed (mount added: cache /srv/host-etc (read-only))"),
    ])
    func aProfileChangeIsReportedAsThatChange(kind: String, original: String, replacement: String, text: String) throws {
        let sandbox = try builtSandbox()
        if kind == "arch" { #expect(ProcessInfo.processInfo.machineHardwareName == "x86_64") }
        try sandbox.editProfile { $0.replacingOccurrences(of: original, with: replacement) }
        let report = try reportedKinds(try plan(sandbox))
        #expect(report.kinds == [kind])
        #expect(report.summary.contains(text), "\(report.summary)")
    }

    @Test func changesThatMustNotInvalidateAreReportedAsReuse() throws {
        let sandbox = try builtSandbox()
        let renamedProfile = sandbox.work + "/another-name.toml"
        try FileManager.default.copyItem(atPath: sandbox.profile, toPath: renamedProfile)
        try FileManager.default.copyItem(atPath: sandbox.source("hello"), toPath: sandbox.source("renamed-package"))
        try write("pkgtool\ngreet\ngreet\npkgtool\n", sandbox.source("hello") + "/build-depends")
        try write("#!/bin/sh\necho a changed source\n", sandbox.source("hello") + "/build.sh")
        try sandbox.editProfile { $0.replacingOccurrences(of: #"run = "sh ./build.sh""#, with: #"run = "sh -e ./build.sh""#) }

        for run in [try plan(sandbox, profile: renamedProfile), try plan(sandbox, "renamed-package"), try plan(sandbox)] {
            #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
            let layers = try #require(try run.json()["layers"] as? [[String: Any]])
            #expect(layers.allSatisfy { $0["action"] as? String == "reuse" && $0["explanation"] == nil })
        }
    }
}

extension ProcessInfo {
    var machineHardwareName: String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
