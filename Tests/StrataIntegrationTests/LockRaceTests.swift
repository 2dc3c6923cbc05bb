import Foundation
import Testing

/// Builds, `gc --max-size 0` and `layers rm` racing on one large layer: a
/// layer in use never loses a file, and no two installs of one key overlap.
/// (A remover unlinks the lock file of the layer it removed; a build that
/// had opened the old file must notice and lock the new one.)
@Suite(.needsRoot) struct LockRaceTests {
    static let files = Int(ProcessInfo.processInfo.environment["STRATA_RACE_FILES"] ?? "") ?? 3000
    static let rounds = Int(ProcessInfo.processInfo.environment["STRATA_RACE_ROUNDS"] ?? "") ?? 100

    @Test func aLayerInUseStaysWholeWhileGCAndRemoveRace() throws {
        // On tmpfs: each round makes the layer anew (gc removes it), and the
        // race is about locks, not about the disk.
        let sandbox = try Sandbox(storeIn: "/dev/shm")
        // The install notes overlapping runs (mkdir is atomic) and makes the layer large.
        try sandbox.editProfile {
            $0.replacingOccurrences(
                of: #"install = "echo run >> /srv/log/installs && /srv/demo-repo/bin/install""#,
                with: #"install = "if ! mkdir /srv/log/installing; then echo overlap >> /srv/log/overlaps; fi; echo run >> /srv/log/installs && /srv/demo-repo/bin/install && mkdir -p /usr/share/big && cd /usr/share/big && seq 1 \#(Self.files) | xargs touch && rmdir /srv/log/installing""#)
        }
        // The build counts the layer's files before and after reading them all.
        try sandbox.writeBuildScript("""
            #!/bin/sh
            set -eu
            before=$(ls /usr/share/big | wc -l)
            cat /usr/share/big/* > /dev/null
            cat /usr/share/big/* > /dev/null
            after=$(ls /usr/share/big | wc -l)
            echo "$before $after" >> /srv/log/counts
            greet "hello, world" > hello.txt
            pkgtool hello 1.0 hello.txt
            """, for: "hello")
        let first = try sandbox.build("hello")
        #expect(first.status == 0, "\(first.stderr)")
        let key = try #require((try first.json()["layers"] as? [[String: Any]])?.last?["key"] as? String)

        var failures: [String] = []
        for round in 0..<Self.rounds {
            let processes = [
                try sandbox.start(sandbox.buildArguments("hello")),
                try sandbox.start(["gc", "--max-size", "0"]),
                try sandbox.start(sandbox.buildArguments("hello")),
                try sandbox.start(["layers", "rm", key]),
                try sandbox.start(["gc", "--max-size", "0"]),
            ]
            let runs = processes.map { sandbox.finish($0) }
            for index in [0, 2] where runs[index].status != 0 {
                failures.append("round \(round): build exited \(runs[index].status): \(runs[index].stderr)")
            }
            for index in [1, 4] where runs[index].status != 0 {
                failures.append("round \(round): gc exited \(runs[index].status): \(runs[index].stderr)")
            }
            for run in runs where !run.mountTable.isEmpty && !sandbox.mounts(underStoreIn: run.mountTable).isEmpty {
                failures.append("round \(round): left mounted: \(sandbox.mounts(underStoreIn: run.mountTable))")
            }
            if failures.count > 5 { break }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")

        let counts = ((try? String(contentsOfFile: sandbox.log + "/counts", encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(counts.count >= Self.rounds, "\(counts.count) builds ran their build command")
        let broken = counts.filter { $0 != "\(Self.files) \(Self.files)" }
        #expect(broken.isEmpty, "a build saw its layer change under it (files before, after): \(broken.prefix(10))")
        #expect(!FileManager.default.fileExists(atPath: sandbox.log + "/overlaps"), "two installs of the same layer ran at once")
        #expect(sandbox.entries(sandbox.store + "/builds") == [])
        #expect(sandbox.entries(sandbox.store + "/layers").filter { $0.hasPrefix(".tmp-") } == [])
    }
}
