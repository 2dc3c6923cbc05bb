import Foundation
import StrataOS

/// Runs the strata binary itself: reused builds, and concurrent ones.
struct ProcessBenchmark {
    let options: BenchOptions
    let fixtures: Fixtures
    var store: String { options.work + "/store" }
    var profile: String { options.work + "/bench.toml" }
    var source: String { options.work + "/src" }

    /// MiB each concurrent build writes into its scratch layer.
    static let scratchMiB = 8

    /// A profile over the bench base with a one-package deps layer.
    static func profileText(build: String) -> String {
        """
        [base]
        image = "bench-base"

        [deps]
        resolve = "echo bench-tool 1.0"
        install = "mkdir -p /opt/bench && echo installed > /opt/bench/tool"

        [build]
        run = "\(build)"
        """
    }

    func prepare() {
        try? FileManager.default.removeItem(atPath: store)
        do {
            try Self.profileText(build: "true").write(toFile: profile, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            try "a source\n".write(toFile: source + "/README", atomically: true, encoding: .utf8)
        } catch { Measure.fatal("\(error)") }
        strata(["image", "import", "bench-base", fixtures.base])
        strata(["build", "--profile", profile, "--output", options.work + "/out", source])
    }

    @discardableResult
    func strata(_ arguments: [String], allowFailure: Bool = false) -> String {
        Measure.run(options.strata, ["--store", store] + arguments, allowFailure: allowFailure)
    }

    /// Wall time of `strata build` with every layer reused and `true` as the build.
    func reusedBuild(rounds: Int) -> Double {
        Measure.median(rounds) {
            Measure.spawnAndWait(options.strata, ["--store", store, "build", "--profile", profile, "--output", options.work + "/out", source])
        }
    }

    /// Wall time of a strata process that does almost nothing: the process floor.
    func processStart(rounds: Int) -> Double {
        Measure.median(rounds) { Measure.spawnAndWait(options.strata, ["--store", store, "image", "list"]) }
    }

    /// strata's own setup + teardown timing of a reused build, as it reports it.
    func reportedSetupAndTeardown() -> Double {
        let output = strata(["--json", "build", "--profile", profile, "--output", options.work + "/out", source])
        guard let json = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
              let timings = json["timings_ms"] as? [String: Int] else { return 0 }
        return Double((timings["setup"] ?? 0) + (timings["teardown"] ?? 0))
    }

    /// N builds at once over the same reused layer. Each writes a known amount
    /// into its scratch layer and fails on purpose, so that --keep-failed keeps
    /// its upper to be measured.
    func concurrent(_ count: Int) -> (wall: Double, diskPerBuild: UInt64, written: UInt64) {
        let writing = Self.profileText(build: "dd if=/dev/zero of=/build/scratch.bin bs=1M count=\(Self.scratchMiB) 2>/dev/null; exit 1")
        let writingProfile = options.work + "/bench-writing.toml"
        try? writing.write(toFile: writingProfile, atomically: true, encoding: .utf8)
        let wall = Measure.time {
            let pids = (0..<count).map { _ in
                Measure.spawn(options.strata, ["--store", store, "build", "--keep-failed", "--profile", writingProfile,
                                               "--output", options.work + "/out", source])
            }
            for pid in pids where Measure.wait(pid) != 1 { Measure.fatal("a concurrent build did not fail as planned") }
        }
        let kept = ((try? FileManager.default.contentsOfDirectory(atPath: store + "/builds")) ?? []).map { store + "/builds/" + $0 }
        if kept.count != count { Measure.fatal("expected \(count) kept scratch layers, found \(kept.count)") }
        let sizes = kept.map { (try? DiskUsage.bytes(of: $0 + "/upper")) ?? 0 }.sorted()
        for directory in kept { try? FileTree.remove(directory) }
        return (wall, sizes[sizes.count / 2], UInt64(Self.scratchMiB) << 20)
    }
}
