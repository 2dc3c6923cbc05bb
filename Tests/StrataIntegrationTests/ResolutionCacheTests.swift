import Foundation
import Testing

/// `[deps] inputs`: the resolver is skipped while what it reads is
/// unchanged, runs again when anything that can change its answer changes,
/// and runs every time when `inputs` is not set. Its runs are counted.
@Suite(.needsRoot) struct ResolutionCacheTests {
    /// A sandbox whose resolver counts its runs in /srv/log/resolves; with
    /// `inputs`, the profile lists the demo resolver's one input file.
    private func sandbox(inputs: Bool) throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.editProfile {
            $0.replacingOccurrences(of: #"resolve = "/srv/demo-repo/bin/resolve""#,
                                    with: #"resolve = "echo run >> /srv/log/resolves && /srv/demo-repo/bin/resolve""#)
                .replacingOccurrences(of: "[deps]\n", with: inputs ? "[deps]\ninputs = [\"build-depends\", \"debian/*\"]\n" : "[deps]\n")
        }
        return sandbox
    }

    private func resolverRuns(_ sandbox: Sandbox) -> Int {
        ((try? String(contentsOfFile: sandbox.log + "/resolves", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    private func resolution(_ run: Sandbox.Run) throws -> (cached: Bool, reason: String?) {
        let object = try #require(try run.json()["resolution"] as? [String: Any], "no resolution in \(run.stdout)")
        return (try #require(object["cached"] as? Bool), object["reason"] as? String)
    }

    @Test func withoutInputsTheResolverRunsEveryTimeAndNothingIsReported() throws {
        let sandbox = try sandbox(inputs: false)
        for _ in 0..<2 {
            let run = try sandbox.build("hello")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try run.json()["resolution"] == nil)
        }
        #expect(resolverRuns(sandbox) == 2)
        #expect(sandbox.entries(sandbox.store + "/cache/resolve") == [])
    }

    @Test func unchangedInputsSkipTheResolverAndEveryChangeRunsItAgain() throws {
        let sandbox = try sandbox(inputs: true)
        let first = try sandbox.build("hello")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try resolution(first) == (false, "no earlier resolution of this source"))
        #expect(resolverRuns(sandbox) == 1)

        let again = try sandbox.build("hello")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try resolution(again).cached)
        #expect(resolverRuns(sandbox) == 1, "the resolver ran although its inputs are unchanged")
        let plan = try sandbox.strata(["--json", "plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(try resolution(plan).cached)
        let text = try sandbox.strata(["plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(text.stdout.contains("resolve cached"), "\(text.stdout)")
        #expect(resolverRuns(sandbox) == 1)

        // Each change below must run the resolver once, and say why.
        let changes: [(String, () throws -> Void, String)] = [
            ("a listed file", { try "pkgtool\ngreet\n".write(toFile: sandbox.source("hello") + "/build-depends", atomically: true, encoding: .utf8) },
             "build-depends changed"),
            ("a file appearing under a pattern", {
                try FileManager.default.createDirectory(atPath: sandbox.source("hello") + "/debian", withIntermediateDirectories: true)
                try "Build-Depends: greet\n".write(toFile: sandbox.source("hello") + "/debian/control", atomically: true, encoding: .utf8)
            }, "debian/control added"),
            ("[env]", { try sandbox.editProfile { $0.replacingOccurrences(of: "[env]\n", with: "[env]\nRESOLVER_HINT = \"1\"\n") } }, "[env] changed"),
            ("the resolve command", { try sandbox.editProfile { $0.replacingOccurrences(of: "&& /srv/demo-repo/bin/resolve\"", with: "&& /srv/demo-repo/bin/resolve \"") } },
             "[deps] resolve changed"),
            ("an input mount", { try "\n# touched\n".appendLine(to: sandbox.work + "/repo/bin/resolve") },
             "mount /srv/demo-repo/bin changed"),
            ("the layer it runs over", { try sandbox.editProfile { $0.replacingOccurrences(of: "cache_version = 1", with: "cache_version = 2") } },
             "the layer it runs over changed"),
        ]
        var runs = 1
        for (what, change, reason) in changes {
            try change()
            let run = try sandbox.build("hello")
            #expect(run.status == 0, "after changing \(what): \(run.stderr)")
            runs += 1
            #expect(resolverRuns(sandbox) == runs, "the resolver did not run after changing \(what)")
            let status = try resolution(run)
            #expect(!status.cached && (status.reason ?? "").contains(reason), "after changing \(what): \(status)")
            let next = try sandbox.build("hello")
            #expect(try resolution(next).cached, "the resolution after changing \(what) was not cached")
            #expect(resolverRuns(sandbox) == runs)
        }

        let forced = try sandbox.build("hello", ["--no-resolve-cache"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try resolution(forced) == (false, "--no-resolve-cache"))
        #expect(resolverRuns(sandbox) == runs + 1)
    }

    @Test func gcSweepsResolutionsWhoseLayerIsGone() throws {
        let sandbox = try sandbox(inputs: true)
        try sandbox.editProfile { $0 + "\n[update]\nrun = \"echo 1 > /etc/distro-version\"\nstate = \"cat /etc/distro-version\"\n" }
        let updated = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(updated.status == 0, "\(updated.stderr)")
        let updateKey = try #require(try updated.json()["key"] as? String)
        #expect(try sandbox.build("hello").status == 0)
        let cached = { sandbox.entries(sandbox.store + "/cache/resolve").filter { !$0.hasPrefix("last-") } }
        #expect(cached().count == 1)

        let kept = try sandbox.strata(["--json", "gc", "--max-age", "1000d"])
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(try kept.json()["removed_resolutions"] as? Int == 0)
        #expect(cached().count == 1, "a resolution whose layer exists was swept")

        let removed = try sandbox.strata(["layers", "rm", "--force", updateKey])
        #expect(removed.status == 0, "\(removed.stderr)")
        let swept = try sandbox.strata(["--json", "gc", "--max-age", "1000d"])
        #expect(swept.status == 0, "\(swept.stderr)")
        #expect(try swept.json()["removed_resolutions"] as? Int == 1)
        #expect(cached() == [])
    }

    @Test func inputsThatNameNoFileAreNeverCached() throws {
        let sandbox = try sandbox(inputs: false)
        // A typo, or a link the patterns cannot follow: the key would be the same for every source.
        try sandbox.editProfile { $0.replacingOccurrences(of: "[deps]\n", with: "[deps]\ninputs = [\"debian/contrl\"]\n") }
        for _ in 0..<2 {
            let run = try sandbox.build("hello")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try resolution(run).cached == false)
            #expect(((try run.json()["warnings"] as? [String]) ?? []).contains { $0.contains("name no file") })
        }
        #expect(resolverRuns(sandbox) == 2)
    }

    @Test func aDamagedCachedResolutionIsAMissNeverAWrongSet() throws {
        let sandbox = try sandbox(inputs: true)
        #expect(try sandbox.build("hello").status == 0)
        let directory = sandbox.store + "/cache/resolve"
        for name in sandbox.entries(directory) where !name.hasPrefix("last-") {
            try "{\"key\": 1}".write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        let run = try sandbox.build("hello")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try resolution(run).cached == false)
        #expect(resolverRuns(sandbox) == 2)
    }

    @Test(arguments: [
        ("inputs = \"debian/control\"", "must be an array of strings"),
        ("inputs = [\"../etc/passwd\"]", "must not contain '..'"),
        ("inputs = [\"/etc/passwd\"]", "must be relative to the source"),
        ("inputs = [\"debian//control\"]", "must be normalised"),
        ("inputs = [1]", "must hold strings only"),
        ("inputs = []", "deps.inputs is empty"),
        ("max_chain = 17", "between 1 and 16"),
        ("max_chain = 0", "between 1 and 16"),
        ("incremental = \"yes\"", "must be true or false"),
    ])
    func badInputsAreRefusedNamingTheLine(line: String, message: String) throws {
        let sandbox = try sandbox(inputs: false)
        try sandbox.editProfile { $0.replacingOccurrences(of: "[deps]\n", with: "[deps]\n\(line)\n") }
        let run = try sandbox.build("hello")
        #expect(run.status == 2)
        #expect(run.stderr.contains("demo.toml:") && run.stderr.contains(message), "\(run.stderr)")
        #expect(resolverRuns(sandbox) == 0)
    }
}

extension String {
    /// Appends this text to the file at `path`.
    func appendLine(to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}
