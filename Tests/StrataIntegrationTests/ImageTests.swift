import Foundation
import Testing

@Suite(.needsRoot) struct ImageTests {
    @Test func importListInspectRemove() throws {
        let sandbox = try Sandbox()
        let list = try sandbox.strata(["--json", "image", "list"])
        let images = try #require(try list.json()["images"] as? [[String: Any]])
        #expect(images.map { $0["name"] as? String } == ["demo-base"])
        let digest = try #require(images.first?["digest"] as? String)
        #expect(digest.hasPrefix("sha256:") && digest.count == 71)

        // The same content under another name has the same digest.
        let copy = try sandbox.strata(["--json", "image", "import", "copy", sandbox.work + "/rootfs"])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(try copy.json()["digest"] as? String == digest)

        let inspect = try sandbox.strata(["--json", "image", "inspect", "copy"])
        let rootfs = try #require(try inspect.json()["rootfs"] as? String)
        let shell = try FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/bin/sh")
        #expect(shell == "/bin/busybox")
        let attributes = try FileManager.default.attributesOfItem(atPath: rootfs + "/tmp")
        #expect((attributes[.posixPermissions] as? Int) == 0o1777)

        let again = try sandbox.strata(["image", "import", "copy", sandbox.work + "/rootfs"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("exists already"))

        #expect(try sandbox.strata(["image", "rm", "copy"]).status == 0)
        #expect(try sandbox.strata(["image", "inspect", "copy"]).status == 2)
        #expect(sandbox.entries(sandbox.store + "/images") == ["demo-base"])
    }

    @Test func changedContentChangesTheDigest() throws {
        let sandbox = try Sandbox()
        try "changed\n".write(toFile: sandbox.work + "/rootfs/etc/motd", atomically: true, encoding: .utf8)
        let changed = try sandbox.strata(["--json", "image", "import", "changed", sandbox.work + "/rootfs"])
        let original = try sandbox.strata(["--json", "image", "inspect", "demo-base"])
        #expect(try changed.json()["digest"] as? String != original.json()["digest"] as? String)
    }

    @Test func aFileIsNotAnImageSource() throws {
        let sandbox = try Sandbox()
        let run = try sandbox.strata(["image", "import", "bad", sandbox.profile])
        #expect(run.status == 2)
        #expect(sandbox.entries(sandbox.store + "/images") == ["demo-base"])
    }
}
