import Foundation
import Glibc
import Testing

/// A damaged layer is never reused, is shown as damaged, is removed by gc,
/// and `layers verify` finds every kind of damage, including changed content.
@Suite(.needsRoot) struct LayerIntegrityTests {
    enum Damage: String, CaseIterable {
        case truncatedManifest, emptyManifest, missingUpper, manifestOfAnotherLayer
    }

    /// hello's and text-only's deps layers; hello's is the one damaged.
    private func twoLayers() throws -> (Sandbox, damaged: String, other: String) {
        let sandbox = try Sandbox()
        try sandbox.addPackage("text-only", buildDepends: "libtext pkgtool\n")
        var keys: [String] = []
        for package in ["hello", "text-only"] {
            let run = try sandbox.build(package)
            #expect(run.status == 0, "\(run.stderr)")
            let deps = try #require((try run.json()["layers"] as? [[String: Any]])?.last)
            keys.append(try #require(deps["key"] as? String))
        }
        return (sandbox, keys[0], keys[1])
    }

    private func apply(_ damage: Damage, to key: String, other: String, in store: String) throws {
        let directory = store + "/layers/" + key
        switch damage {
        case .truncatedManifest:
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: directory + "/manifest.json"))
        case .emptyManifest:
            try Data().write(to: URL(fileURLWithPath: directory + "/manifest.json"))
        case .missingUpper:
            try FileManager.default.removeItem(atPath: directory + "/upper")
        case .manifestOfAnotherLayer:
            try FileManager.default.removeItem(atPath: directory + "/manifest.json")
            try FileManager.default.copyItem(atPath: store + "/layers/\(other)/manifest.json", toPath: directory + "/manifest.json")
        }
    }

    private func verify(_ sandbox: Sandbox, _ extra: [String] = []) throws -> (Sandbox.Run, [String: String]) {
        let run = try sandbox.strata(["--json", "layers", "verify"] + extra)
        let layers = try #require(try run.json()["layers"] as? [[String: Any]], "\(run.stdout) \(run.stderr)")
        var status: [String: String] = [:]
        for layer in layers { status[layer["key"] as? String ?? ""] = layer["status"] as? String }
        return (run, status)
    }

    @Test(arguments: Damage.allCases)
    func aDamagedLayerIsListedVerifiedAndRebuiltNeverReused(damage: Damage) throws {
        let (sandbox, key, other) = try twoLayers()
        try apply(damage, to: key, other: other, in: sandbox.store)

        let list = try sandbox.strata(["--json", "layers", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        let listed = try #require(try list.json()["layers"] as? [[String: Any]])
        #expect(listed.first { $0["key"] as? String == key }?["damaged"] is String, "layers list hides the damaged layer: \(list.stdout)")
        #expect(listed.first { $0["key"] as? String == other }?["damaged"] == nil)

        let (found, status) = try verify(sandbox)
        #expect(found.status == 1, "\(found.stdout)")
        #expect(status == [key: "damaged", other: "sound"], "\(found.stdout)")

        let rebuilt = try sandbox.build("hello")
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        #expect(sandbox.installRuns == 3, "the damaged layer was reused instead of rebuilt")
        let warnings = (try rebuilt.json()["warnings"] as? [String]) ?? []
        #expect(warnings.contains { $0.contains("damaged") && $0.contains(String(key.prefix(12))) }, "\(rebuilt.stdout)")
        try sandbox.expectTornDown(rebuilt)

        let (after, statusAfter) = try verify(sandbox)
        #expect(after.status == 0, "\(after.stdout)")
        #expect(statusAfter == [key: "sound", other: "sound"])
        // The other layer, whose manifest was copied, was never touched.
        #expect(FileManager.default.fileExists(atPath: sandbox.store + "/layers/\(other)/upper/usr/share/libtext"))
    }

    @Test(arguments: Damage.allCases)
    func gcRemovesADamagedLayerAndNothingElse(damage: Damage) throws {
        let (sandbox, key, other) = try twoLayers()
        try apply(damage, to: key, other: other, in: sandbox.store)
        let gc = try sandbox.strata(["--json", "gc", "--max-age", "3650d"])
        #expect(gc.status == 0, "\(gc.stderr)")
        let removed = try #require(try gc.json()["removed"] as? [[String: Any]])
        #expect(removed.map { $0["key"] as? String } == [key], "\(gc.stdout)")
        #expect(removed.first?["damaged"] is String)
        #expect(sandbox.entries(sandbox.store + "/layers") == [other], "gc removed the wrong directory")
        #expect(try sandbox.build("text-only").status == 0)
        #expect(sandbox.installRuns == 2, "the layer whose manifest was copied must stay usable")
    }

    @Test func verifyFindsChangedContentAndRepairRemovesIt() throws {
        let (sandbox, key, other) = try twoLayers()
        let (clean, _) = try verify(sandbox)
        #expect(clean.status == 0, "\(clean.stdout)")

        // One byte of one file in the upper, behind strata's back.
        let greet = sandbox.store + "/layers/\(key)/upper/usr/bin/greet"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: greet))
        bytes[bytes.count - 2] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: greet))

        let (found, status) = try verify(sandbox)
        #expect(found.status == 1)
        #expect(status == [key: "damaged", other: "sound"])
        #expect(found.stdout.contains("not what was committed"), "\(found.stdout)")
        let text = try sandbox.strata(["layers", "verify", key])
        #expect(text.status == 1)
        #expect(text.stdout.contains("damaged") && text.stdout.contains("--repair"), "\(text.stdout)")

        let (repaired, _) = try verify(sandbox, ["--repair"])
        #expect(repaired.status == 1, "damage found is reported even when repaired")
        #expect(try repaired.json()["removed"] as? Int == 1)
        #expect(sandbox.entries(sandbox.store + "/layers") == [other])
        #expect(try verify(sandbox).0.status == 0)

        let rebuilt = try sandbox.build("hello")
        #expect(rebuilt.status == 0)
        #expect(sandbox.installRuns == 3)
    }

    @Test func repairNeverRemovesALayerInUse() throws {
        let (sandbox, key, other) = try twoLayers()
        try apply(.missingUpper, to: key, other: other, in: sandbox.store)
        // This test holds the layer's lock shared, as a running build does.
        let descriptor = open(sandbox.store + "/locks/layer-\(key).lock", O_RDWR | O_CREAT, 0o644)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        try #require(flock(descriptor, LOCK_SH) == 0)
        let (run, _) = try verify(sandbox, ["--repair"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("in use"), "\(run.stdout)")
        #expect(sandbox.entries(sandbox.store + "/layers").contains(key))
    }
}
