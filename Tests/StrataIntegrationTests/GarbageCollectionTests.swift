import Foundation
import Glibc
import Testing

@Suite(.needsRoot) struct GarbageCollectionTests {
    /// Three deps layers, used in the order hello, tools-only, greet-only.
    private func sandboxWithThreeLayers() throws -> (Sandbox, [String]) {
        let sandbox = try Sandbox()
        try sandbox.addPackage("tools-only", buildDepends: "pkgtool\n")
        try sandbox.addPackage("text-only", buildDepends: "libtext pkgtool\n")
        var keys: [String] = []
        for package in ["hello", "tools-only", "text-only"] {
            let run = try sandbox.strata(sandbox.buildArguments(package))
            #expect(run.status == 0, "\(run.stderr)")
            let deps = try #require((try run.json()["layers"] as? [[String: Any]])?.last)
            keys.append(try #require(deps["key"] as? String))
        }
        return (sandbox, keys)
    }

    /// Makes a layer look unused for `days` (its last use is bookkeeping in usage.json).
    private func makeUnused(_ sandbox: Sandbox, _ key: String, days: Double) throws {
        let usagePath = sandbox.store + "/layers/\(key)/usage.json"
        var usage = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: usagePath))) as? [String: Any])
        usage["last_used"] = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-days * 86400))
        try JSONSerialization.data(withJSONObject: usage).write(to: URL(fileURLWithPath: usagePath))
    }

    private func removed(_ run: Sandbox.Run) throws -> [String] {
        try #require(try run.json()["removed"] as? [[String: Any]]).compactMap { $0["key"] as? String }
    }

    @Test func keepLastRemovesTheLeastRecentlyUsed() throws {
        let (sandbox, keys) = try sandboxWithThreeLayers()
        let dry = try sandbox.strata(["--json", "gc", "--keep-last", "1", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try removed(dry) == [keys[0], keys[1]])
        #expect(sandbox.entries(sandbox.store + "/layers").count == 3, "a dry run removed something")

        let run = try sandbox.strata(["--json", "gc", "--keep-last", "1"])
        #expect(try removed(run) == [keys[0], keys[1]])
        #expect(sandbox.entries(sandbox.store + "/layers") == [keys[2]])
        #expect(try run.json()["freed_bytes"] as? Int ?? 0 > 0)
    }

    @Test func maxSizeRemovesUntilTheTotalFits() throws {
        let (sandbox, keys) = try sandboxWithThreeLayers()
        let list = try sandbox.strata(["--json", "layers", "list"])
        let sizes = try #require(try list.json()["layers"] as? [[String: Any]]).compactMap { $0["size_bytes"] as? Int }
        #expect(sizes.count == 3 && sizes.allSatisfy { $0 > 0 })
        let newestSize = sizes.max() ?? 0
        let run = try sandbox.strata(["--json", "gc", "--max-size", "\(newestSize + sizes.min()! - 1)"])
        #expect(run.status == 0)
        let gone = try removed(run)
        #expect(gone.first == keys[0], "the least recently used goes first")
        #expect(try run.json()["remaining_bytes"] as? Int ?? .max <= newestSize + sizes.min()! - 1)
    }

    @Test func maxAgeRemovesOnlyLayersUnusedForLonger() throws {
        let (sandbox, keys) = try sandboxWithThreeLayers()
        try makeUnused(sandbox, keys[0], days: 10)

        let run = try sandbox.strata(["--json", "gc", "--max-age", "1d"])
        #expect(try removed(run) == [keys[0]])
        #expect(sandbox.entries(sandbox.store + "/layers") == [keys[1], keys[2]].sorted())
    }

    @Test func aLayerInUseIsNeverRemoved() throws {
        let (sandbox, keys) = try sandboxWithThreeLayers()
        let pauseFile = sandbox.work + "/paused"
        let holder = try sandbox.start(sandbox.buildArguments("hello"),
                                       environment: ["STRATA_TEST_PAUSE_AT": "build", "STRATA_TEST_PAUSE_FILE": pauseFile])
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        #expect(eventually(within: 60) { FileManager.default.fileExists(atPath: pauseFile) })

        let gc = try sandbox.strata(["--json", "gc", "--keep-last", "0"])
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(try removed(gc) == [keys[1], keys[2]])
        #expect(try gc.json()["in_use"] as? [String] == [keys[0]])
        #expect(try gc.json()["limits_hold"] as? Bool == false)
        #expect(sandbox.entries(sandbox.store + "/layers") == [keys[0]])

        let rm = try sandbox.strata(["layers", "rm", keys[0]])
        #expect(rm.status == 2)
        #expect(rm.stderr.contains("is in use"))
        #expect(rm.stderr.contains("pid \(holder.processIdentifier)"), "\(rm.stderr)")
        #expect(sandbox.entries(sandbox.store + "/layers") == [keys[0]])
    }

    @Test func childrenGoBeforeTheirParents() throws {
        let (sandbox, keys) = try sandboxWithThreeLayers()
        // An update layer, and a deps layer built on it.
        try sandbox.editProfile {
            $0 + "\n[update]\nrun = \"echo 1 > /etc/distro-version\"\nstate = \"cat /etc/distro-version\"\n"
        }
        let update = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(update.status == 0, "\(update.stderr)")
        let parent = try #require(try update.json()["key"] as? String)
        let built = try sandbox.build("hello")
        #expect(built.status == 0, "\(built.stderr)")
        let child = try #require((try built.json()["layers"] as? [[String: Any]])?.last?["key"] as? String)
        #expect(!keys.contains(child))
        try makeUnused(sandbox, child, days: 10)
        try makeUnused(sandbox, parent, days: 9)

        let refused = try sandbox.strata(["layers", "rm", parent])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("built on it"))

        // The child is the least recently used leaf; its parent becomes a leaf once it is gone.
        let gc = try sandbox.strata(["--json", "gc", "--keep-last", "3"])
        let gone = try removed(gc)
        #expect(gone.count == 2)
        if let childIndex = gone.firstIndex(of: child), let parentIndex = gone.firstIndex(of: parent) {
            #expect(childIndex < parentIndex)
        } else {
            Issue.record("expected the parent and its child removed, got \(gone)")
        }

        #expect(sandbox.entries(sandbox.store + "/layers").sorted() == keys.sorted())

        // Again, and `layers rm --force` on the parent takes the child with it.
        #expect(try sandbox.strata(["update", sandbox.profile]).status == 0)
        #expect(try sandbox.build("hello").status == 0)
        let forced = try sandbox.strata(["--json", "layers", "rm", "--force", parent])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try forced.json()["removed"] as? [String] == [child, parent])
        #expect(sandbox.entries(sandbox.store + "/layers").sorted() == keys.sorted())
    }

    @Test func aProfileGCTableRunsAfterEachBuild() throws {
        let (sandbox, keys) = try sandboxWithThreeLayers()
        try sandbox.editProfile { $0 + "\n[gc]\nkeep_last = 1\n" }
        let run = try sandbox.strata(sandbox.buildArguments("hello"))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(sandbox.entries(sandbox.store + "/layers") == [keys[0]], "only the layer this build used stays")
    }
}
