import Foundation
import Testing

/// Stores that cannot hold overlay directories are refused up front, and
/// nothing a build or an install creates can leave a directory behind.
@Suite(.needsRoot) struct StoreRobustnessTests {
    @Test func aStoreOnRamfsIsRefusedWithExitFour() throws {
        let sandbox = try Sandbox()
        let mountPoint = sandbox.work + "/ramfs-store"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        // The ramfs lives in a mount namespace of its own, gone when the shell ends.
        let run = try Sandbox.shell("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c",
                                                         "mount -t ramfs ramfs \"$1\" && \"$0\" --store \"$1\" layers list",
                                                         Sandbox.binary, mountPoint])
        #expect(run.status == 4, "\(run.stdout) \(run.stderr)")
        #expect(run.stderr.contains("ramfs") && run.stderr.contains("--store"), "\(run.stderr)")
    }

    @Test func aStoreOnTmpfsIsAccepted() throws {
        let sandbox = try Sandbox()
        let mountPoint = sandbox.work + "/tmpfs-store"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let run = try Sandbox.shell("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c",
                                                         "mount -t tmpfs tmpfs \"$1\" && \"$0\" --store \"$1\" layers list && ls -A \"$1\"",
                                                         Sandbox.binary, mountPoint])
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(!run.stdout.contains(".strata-probe"), "the probe left its directory: \(run.stdout)")
    }

    /// A shell loop that makes `t`, a tree 500 directories deep (past
    /// PATH_MAX) with a 250-byte file name, a mode-000 directory and a
    /// mode-000 file at the bottom: each round moves the tree one level down
    /// into a new directory, so no command ever needs a long path.
    private static let deepTree = """
        mkdir t && touch t/\(String(repeating: "n", count: 250)) && mkdir t/locked && touch t/locked/f && \
        chmod 000 t/locked/f t/locked && i=0 && while [ $i -lt 500 ]; do \
        mkdir n && mv t n/d123456789 && mv n t && i=$((i+1)); done
        """

    @Test func aBuildDeeperThanPathMaxLeavesNothingBehind() throws {
        let sandbox = try Sandbox()
        try sandbox.writeBuildScript("#!/bin/sh\nset -eu\n(\(Self.deepTree))\ngreet hi > hello.txt\npkgtool hello 1.0 hello.txt\n", for: "hello")
        let run = try sandbox.build("hello")
        #expect(run.status == 0, "\(run.stderr)")
        try sandbox.expectTornDown(run)
    }

    @Test func aFailedInstallDeeperThanPathMaxLeavesNoTemporaryLayer() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile {
            $0.replacingOccurrences(of: "&& /srv/demo-repo/bin/install", with: "&& /srv/demo-repo/bin/install && cd /tmp && mkdir -p /var/deep && cd /var/deep && \(Self.deepTree.replacingOccurrences(of: "\"", with: "\\\"")) && exit 9")
        }
        let run = try sandbox.build("hello")
        #expect(run.status == 3, "\(run.stderr)")
        #expect(sandbox.entries(sandbox.store + "/layers") == [], "a temporary layer was left: \(sandbox.entries(sandbox.store + "/layers"))")
        try sandbox.expectTornDown(run)
    }

    @Test func aLayerDeeperThanPathMaxIsVerifiedAndRemoved() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile {
            $0.replacingOccurrences(of: "&& /srv/demo-repo/bin/install", with: "&& /srv/demo-repo/bin/install && mkdir -p /var/deep && cd /var/deep && \(Self.deepTree.replacingOccurrences(of: "\"", with: "\\\""))")
        }
        let run = try sandbox.build("hello")
        #expect(run.status == 0, "\(run.stderr)")
        let verify = try sandbox.strata(["--json", "layers", "verify"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        let files = (try verify.json()["layers"] as? [[String: Any]])?.first?["files"] as? Int ?? 0
        #expect(files > 500, "the tree is not as deep as it should be: \(files) entries")
        let gc = try sandbox.strata(["gc", "--max-size", "0"])
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(sandbox.entries(sandbox.store + "/layers") == [])
    }
}
