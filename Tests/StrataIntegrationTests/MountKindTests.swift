import Foundation
import Testing

/// `[[mount]] kind`: an input mount's content is in the key of every layer
/// whose recipe runs with it; a cache mount is keyed by its target alone.
@Suite(.needsRoot) struct MountKindTests {
    private func depsKey(_ run: Sandbox.Run) throws -> String {
        let layers = try #require(try run.json()["layers"] as? [[String: Any]], "\(run.stdout) \(run.stderr)")
        return try #require(layers.first { $0["role"] as? String == "deps" }?["key"] as? String)
    }

    @Test func changingAnInputMountsContentRebuildsAndNamesThePath() throws {
        let sandbox = try Sandbox()
        let tools = sandbox.work + "/tools"
        try FileManager.default.createDirectory(atPath: tools + "/lib", withIntermediateDirectories: true)
        try "#!/bin/sh\necho one > /etc/tool-version\n".write(toFile: tools + "/install-exact", atomically: true, encoding: .utf8)
        try "helper\n".write(toFile: tools + "/lib/helper.sh", atomically: true, encoding: .utf8)
        try sandbox.editProfile {
            $0.replacingOccurrences(of: #"install = "echo run"#, with: #"install = "sh /srv/tools/install-exact && echo run"#)
                + "\n[[mount]]\nsource = \"\(tools)\"\ntarget = \"/srv/tools\"\nreadonly = true\n"
        }
        let first = try sandbox.build("hello")
        #expect(first.status == 0, "\(first.stderr)")
        let firstKey = try depsKey(first)
        #expect(try String(contentsOfFile: sandbox.store + "/layers/\(firstKey)/upper/etc/tool-version", encoding: .utf8) == "one\n")
        #expect(try depsKey(try sandbox.build("hello")) == firstKey)
        #expect(sandbox.installRuns == 1)

        // Same path, one changed byte: the old layer must not be reused.
        try "#!/bin/sh\necho two > /etc/tool-version\n".write(toFile: tools + "/install-exact", atomically: true, encoding: .utf8)
        let plan = try sandbox.strata(["plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(plan.status == 10, "\(plan.stdout) \(plan.stderr)")
        #expect(plan.stdout.contains("mount /srv/tools: changed install-exact"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("helper.sh"), "an unchanged file was named: \(plan.stdout)")

        let rebuilt = try sandbox.build("hello")
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        let newKey = try depsKey(rebuilt)
        #expect(newKey != firstKey)
        #expect(sandbox.installRuns == 2)
        #expect(rebuilt.stdout.contains("mount /srv/tools: changed install-exact"), "\(rebuilt.stdout)")
        #expect(try String(contentsOfFile: sandbox.store + "/layers/\(newKey)/upper/etc/tool-version", encoding: .utf8) == "two\n")

        // A mode change is a change too; times are not.
        #expect(chmod(tools + "/lib/helper.sh", 0o755) == 0)
        let modePlan = try sandbox.strata(["plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(modePlan.status == 10)
        #expect(modePlan.stdout.contains("changed lib/helper.sh"), "\(modePlan.stdout)")
        #expect(chmod(tools + "/lib/helper.sh", 0o644) == 0)
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, tools + "/install-exact", &times, 0) == 0)
        #expect(try sandbox.strata(["plan", "--profile", sandbox.profile, sandbox.source("hello")]).status == 0)
    }

    @Test func aCacheMountsHostPathIsNotInTheKey() throws {
        let sandbox = try Sandbox()
        for name in ["cacheA", "cacheB"] {
            try FileManager.default.createDirectory(atPath: sandbox.work + "/" + name, withIntermediateDirectories: true)
        }
        try "stale download\n".write(toFile: sandbox.work + "/cacheB/old.deb", atomically: true, encoding: .utf8)
        let original = try String(contentsOfFile: sandbox.profile, encoding: .utf8)
        let withCache = { (name: String) throws in
            try (original + "\n[[mount]]\nsource = \"\(sandbox.work)/\(name)\"\ntarget = \"/var/cache/downloads\"\n")
                .write(toFile: sandbox.profile, atomically: true, encoding: .utf8)
        }
        try withCache("cacheA")
        let first = try sandbox.build("hello")
        #expect(first.status == 0, "\(first.stderr)")
        try withCache("cacheB")
        let other = try sandbox.build("hello")
        #expect(other.status == 0, "\(other.stderr)")
        #expect(try depsKey(other) == depsKey(first), "another machine's cache path (and content) must give the same key")
        #expect(sandbox.installRuns == 1)
        let manifest = try String(contentsOfFile: sandbox.store + "/layers/\(try depsKey(first))/manifest.json", encoding: .utf8)
        #expect(!manifest.contains("cacheA"), "a cache mount's host path is in the manifest")
    }

    @Test func aMissingInputMountSourceIsABadProfile() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile { $0 + "\n[[mount]]\nsource = \"\(sandbox.work)/no-such-tools\"\ntarget = \"/srv/tools\"\nreadonly = true\n" }
        let run = try sandbox.build("hello")
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("no-such-tools") && run.stderr.contains("does not exist"), "\(run.stderr)")
        try sandbox.expectTornDown(run)
    }
}
