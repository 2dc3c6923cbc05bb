import Foundation
import Glibc
import Testing

/// `[deps] incremental`: a missed set is stacked on the largest existing
/// subset layer, gets only the delta, is found again by its full set, and
/// its chain survives gc, export and import, push and pull.
@Suite(.needsRoot) struct IncrementalLayerTests {
    /// The demo repository's sets: pkgtool = {pkgtool}; greet = {greet,
    /// libtext}; libtext pkgtool = {libtext, pkgtool}; greet pkgtool = all three.
    private func sandbox(maxChain: Int? = nil) throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.editProfile {
            $0.replacingOccurrences(of: "[deps]\n", with: "[deps]\nincremental = true\n" + (maxChain.map { "max_chain = \($0)\n" } ?? ""))
                .replacingOccurrences(
                    of: "echo run >> /srv/log/installs &&",
                    with: #"echo run >> /srv/log/installs && wc -l < \"$STRATA_DEPS_FILE\" >> /srv/log/delta && wc -l < \"$STRATA_DEPS_ALL\" >> /srv/log/all &&"#)
        }
        for (name, depends) in [("only-pkgtool", "pkgtool"), ("only-greet", "greet"), ("two", "libtext\npkgtool")] {
            try FileManager.default.copyItem(atPath: sandbox.source("hello"), toPath: sandbox.source(name))
            try (depends + "\n").write(toFile: sandbox.source(name) + "/build-depends", atomically: true, encoding: .utf8)
            // These build nothing: only their layers matter.
            try sandbox.writeBuildScript("#!/bin/sh\ntrue\n", for: name)
        }
        return sandbox
    }

    private func deps(_ run: Sandbox.Run) throws -> [String: Any] {
        #expect(run.status == 0, "\(run.stderr)")
        let layers = try #require(try run.json()["layers"] as? [[String: Any]])
        return try #require(layers.first { $0["role"] as? String == "deps" })
    }

    private func counts(_ sandbox: Sandbox, _ file: String) -> [Int] {
        ((try? String(contentsOfFile: sandbox.log + "/" + file, encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    @Test func theLargestSubsetIsChosenTheInstallGetsTheDeltaAndTheLayerIsFoundAgainByItsFullSet() throws {
        let sandbox = try sandbox()
        let pkgtool = try deps(try sandbox.build("only-pkgtool"))
        #expect(pkgtool["stands_on"] == nil, "nothing to stack on yet")
        let greet = try deps(try sandbox.build("only-greet"))
        // {pkgtool} is not a subset of {greet, libtext}: built whole.
        #expect(greet["stands_on"] == nil)
        #expect(counts(sandbox, "delta") == [1, 2] && counts(sandbox, "all") == [1, 2])

        let planned = try sandbox.strata(["--json", "plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(planned.status == 10)
        let plannedDeps = try #require((try planned.json()["layers"] as? [[String: Any]])?.last)
        #expect(plannedDeps["stands_on"] as? String == greet["key"] as? String)
        #expect(plannedDeps["added"] as? Int == 1)

        let run = try sandbox.build("hello")
        let hello = try deps(run)
        // Both are subsets of {greet, libtext, pkgtool}; the larger one wins.
        #expect(hello["stands_on"] as? String == greet["key"] as? String)
        #expect(hello["added"] as? Int == 1)
        #expect(counts(sandbox, "delta") == [1, 2, 1], "the install did not get the delta alone")
        #expect(counts(sandbox, "all") == [1, 2, 3], "STRATA_DEPS_ALL does not hold the whole set")
        let artifact = try Sandbox.shell("/bin/tar", ["-xzOf", sandbox.work + "/out/hello_1.0.pkg"])
        #expect(artifact.stdout.lowercased().contains("hello, world"), "the build did not see the lower layer's packages")
        let summary = try sandbox.strata(sandbox.buildArguments("hello", json: false))
        #expect(summary.stdout.contains("reused on \(String((greet["key"] as? String ?? "").prefix(12)))"), "\(summary.stdout)")

        // Reused by a later build with the same full set, with no install.
        let again = try deps(try sandbox.build("goodbye"))
        #expect(again["key"] as? String == hello["key"] as? String)
        #expect(again["reused"] as? Bool == true)
        #expect(sandbox.installRuns == 3)

        // The key is the full set's, whatever the layer stands on: a store
        // that builds the set whole arrives at the same key.
        let whole = try sandbox.secondStore()
        try sandbox.editProfile { $0.replacingOccurrences(of: "incremental = true", with: "incremental = false") }
        let plain = try sandbox.strata(["--store", whole, "--json", "build", "--profile", sandbox.profile, "--output", sandbox.work + "/out-b",
                                        sandbox.source("hello")])
        let plainDeps = try deps(plain)
        #expect(plainDeps["key"] as? String == hello["key"] as? String)
        #expect(plainDeps["stands_on"] == nil)
    }

    @Test func aLayerWithAnEntryOutsideTheNewSetIsNeverChosen() throws {
        let sandbox = try sandbox()
        // {pkgtool} is smaller than {greet, libtext} and the only other layer,
        // but pkgtool is outside the new set: it must not be stacked on.
        _ = try deps(try sandbox.build("only-pkgtool"))
        let greet = try deps(try sandbox.build("only-greet"))
        #expect(greet["stands_on"] == nil)
        #expect(greet["added"] == nil)
        #expect(counts(sandbox, "delta") == [1, 2], "the install did not get the whole set")
    }

    @Test func theChainDepthIsBounded() throws {
        let sandbox = try sandbox(maxChain: 2)
        let one = try deps(try sandbox.build("only-pkgtool"))
        let two = try deps(try sandbox.build("two"))
        #expect(two["stands_on"] as? String == one["key"] as? String)
        // Stacking on "two" would make a chain of 3: the deeper, larger
        // subset is passed over for the shallower one.
        let three = try deps(try sandbox.build("hello"))
        #expect(three["stands_on"] as? String == one["key"] as? String)
        #expect(three["added"] as? Int == 2)

        let flat = try sandbox.sandboxWithChain(1)
        let alone = try deps(try flat.build("only-pkgtool"))
        #expect(alone["stands_on"] == nil)
        let whole = try deps(try flat.build("hello"))
        #expect(whole["stands_on"] == nil, "max_chain = 1 allows no stacking")
    }

    @Test func aChainSurvivesGcExportImportAndPushPull() throws {
        let sandbox = try sandbox()
        let lower = try deps(try sandbox.build("only-greet"))
        let top = try deps(try sandbox.build("hello"))
        let lowerKey = try #require(lower["key"] as? String)
        let topKey = try #require(top["key"] as? String)
        #expect(top["stands_on"] as? String == lowerKey)

        // gc: the lower layer is unused for a year, but another layer stands on it.
        let usagePath = sandbox.store + "/layers/\(lowerKey)/usage.json"
        var usage = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: usagePath))) as? [String: Any])
        usage["last_used"] = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-365 * 86400))
        try JSONSerialization.data(withJSONObject: usage).write(to: URL(fileURLWithPath: usagePath))
        let gc = try sandbox.strata(["--json", "gc", "--max-age", "30d"])
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(try gc.json()["limits_hold"] as? Bool == false)
        #expect(sandbox.entries(sandbox.store + "/layers").filter { !$0.hasPrefix(".") }.sorted() == [lowerKey, topKey].sorted())
        let refused = try sandbox.strata(["layers", "rm", lowerKey])
        #expect(refused.status == 2 && refused.stderr.contains(String(topKey.prefix(12))), "\(refused.stderr)")
        let verify = try sandbox.strata(["layers", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)")

        // Export and import into a store that has neither layer.
        let file = sandbox.work + "/hello-deps.tar.zst"
        let exported = try sandbox.strata(["--json", "layers", "export", topKey, "-o", file])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(FileManager.default.fileExists(atPath: file + ".below-1"))
        let other = try sandbox.secondStore()
        let imported = try sandbox.strata(["--store", other, "--json", "layers", "import", file])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(sandbox.entries(other + "/layers").filter { !$0.hasPrefix(".") }.sorted() == [lowerKey, topKey].sorted())
        let built = try deps(try sandbox.strata(["--store", other, "--json", "build", "--profile", sandbox.profile,
                                                 "--output", sandbox.work + "/out-b", sandbox.source("hello")]))
        #expect(built["reused"] as? Bool == true)
        #expect(built["stands_on"] as? String == lowerKey)

        // Push the top; a build in an empty store pulls the whole chain.
        let registry = try RegistryServer(in: sandbox.work)
        let pushed = try sandbox.strata(["--json", "push", topKey, "--to", registry.repository])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect((try pushed.json()["layers"] as? [[String: Any]])?.count == 2)
        let third = try sandbox.secondStore("store-c")
        let installs = sandbox.installRuns
        let pulled = try deps(try sandbox.strata(["--store", third, "--json", "build", "--profile", sandbox.profile, "--cache-from",
                                                  registry.repository, "--output", sandbox.work + "/out-c", sandbox.source("hello")]))
        #expect(pulled["origin"] as? String == "pulled")
        #expect(pulled["stands_on"] as? String == lowerKey)
        #expect(sandbox.installRuns == installs, "the pulled chain was installed again")
        #expect(sandbox.entries(third + "/layers").filter { !$0.hasPrefix(".") }.sorted() == [lowerKey, topKey].sorted())
    }

    @Test func aLayerWhoseLowerIsDamagedIsDamagedTooAndRebuilt() throws {
        let sandbox = try sandbox()
        let lower = try deps(try sandbox.build("only-greet"))
        let top = try deps(try sandbox.build("hello"))
        let lowerKey = try #require(lower["key"] as? String)
        try "".write(toFile: sandbox.store + "/layers/\(lowerKey)/manifest.json", atomically: true, encoding: .utf8)

        let list = try sandbox.strata(["--json", "layers", "list"])
        let listed = try #require(try list.json()["layers"] as? [[String: Any]])
        let damaged = Set(listed.filter { $0["damaged"] != nil }.compactMap { $0["key"] as? String })
        #expect(damaged == [lowerKey, try #require(top["key"] as? String)], "\(list.stdout)")

        let rebuilt = try sandbox.build("hello")
        let layer = try deps(rebuilt)
        #expect(layer["key"] as? String == top["key"] as? String)
        #expect(layer["origin"] as? String == "built")
        #expect(layer["stands_on"] == nil, "stacked on a damaged layer")
        #expect(((try rebuilt.json()["warnings"] as? [String]) ?? []).contains { $0.contains("damaged") })
        let repair = try sandbox.strata(["layers", "verify", "--repair"])
        #expect(repair.status == 1, "\(repair.stdout)")
        #expect(sandbox.entries(sandbox.store + "/layers").filter { !$0.hasPrefix(".") } == [top["key"] as? String ?? ""])
    }

    @Test func aKilledIncrementalBuildLeavesNothingBehind() throws {
        let sandbox = try sandbox()
        let lower = try deps(try sandbox.build("only-greet"))
        let pauseFile = sandbox.work + "/paused"
        let strata = try sandbox.start(sandbox.buildArguments("hello"),
                                       environment: ["STRATA_TEST_PAUSE_AT": "install", "STRATA_TEST_PAUSE_FILE": pauseFile])
        #expect(eventually(within: 60) { FileManager.default.fileExists(atPath: pauseFile) }, "\(sandbox.finish(strata).stderr)")
        let namespace = try #require(Sandbox.mountNamespace(of: strata.processIdentifier))
        kill(strata.processIdentifier, SIGKILL)
        strata.waitUntilExit()
        #expect(eventually(within: 20) { Sandbox.processes(inMountNamespace: namespace).isEmpty })
        #expect(sandbox.entries(sandbox.store + "/layers").filter { !$0.hasPrefix(".") } == [lower["key"] as? String ?? ""])

        let next = try sandbox.build("hello")
        let top = try deps(next)
        #expect(top["stands_on"] as? String == lower["key"] as? String)
        try sandbox.expectTornDown(next)
        #expect(sandbox.entries(sandbox.store + "/layers").filter { $0.hasPrefix(".tmp-") } == [])
    }
}

private extension Sandbox {
    /// The same profile with another max_chain, in a fresh sandbox.
    func sandboxWithChain(_ maxChain: Int) throws -> Sandbox {
        let other = try Sandbox()
        let text = try String(contentsOfFile: profile, encoding: .utf8)
            .replacingOccurrences(of: work, with: other.work)
            .replacingOccurrences(of: "max_chain = 2", with: "max_chain = \(maxChain)")
        try text.write(toFile: other.profile, atomically: true, encoding: .utf8)
        for name in ["only-pkgtool", "hello"] where !FileManager.default.fileExists(atPath: other.source(name)) {
            try FileManager.default.copyItem(atPath: source(name), toPath: other.source(name))
        }
        return other
    }
}
