import Foundation

/// Rootless strata against root strata, through the binary, interleaved:
/// a reused build's wall time and its ready root (setup + teardown as strata
/// reports them), as root with its user namespace (the default), as root
/// with --no-userns, and rootless as a user made for the run and removed
/// after it. Every run goes through setpriv, root's too, so that each pays
/// the same exec.
struct RootlessBenchmark {
    struct Result {
        var wall: [String: Double] = [:]
        var ready: [String: Double] = [:]
    }

    let options: BenchOptions
    let process: ProcessBenchmark
    let user = "strata-bench-\(getpid())"
    var directory: String { options.work + "/rootless" }
    var store: String { directory + "/store" }

    static let modes = ["root", "root --no-userns", "rootless"]

    func run(rounds: Int) -> Result {
        Measure.run("/usr/sbin/useradd", ["--create-home", "--shell", "/bin/sh", user])
        defer { Measure.run("/usr/sbin/userdel", ["--remove", user], allowFailure: true) }
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        process.strata(["image", "export", "bench-base", "-o", directory + "/base.tar"])
        Measure.run("/bin/chown", ["-R", "\(user):", directory])
        Measure.run("/usr/bin/setpriv", asUser(["image", "import", "bench-base", directory + "/base.tar"]))
        // The first rootless build makes its deps layer; every measured one reuses it.
        Measure.run("/usr/bin/setpriv", asUser(build(json: false)))

        var walls: [String: [Double]] = [:]
        var readies: [String: [Double]] = [:]
        for _ in 0..<rounds {
            for mode in Self.modes {
                let arguments = self.arguments(mode, build(json: false))
                walls[mode, default: []].append(Measure.time { Measure.spawnAndWait("/usr/bin/setpriv", arguments) })
                let report = Measure.run("/usr/bin/setpriv", self.arguments(mode, build(json: true)))
                readies[mode, default: []].append(Self.setupAndTeardown(report))
            }
        }
        var result = Result()
        for mode in Self.modes {
            result.wall[mode] = Measure.median(walls[mode] ?? [])
            result.ready[mode] = Measure.median(readies[mode] ?? [])
        }
        return result
    }

    private func build(json: Bool) -> [String] {
        (json ? ["--json"] : []) + ["build", "--profile", process.profile, "--output", directory + "/out", process.source]
    }

    private func asUser(_ strata: [String]) -> [String] {
        ["--reuid=\(user)", "--regid=\(user)", "--init-groups", options.strata, "--store", store] + strata
    }

    private func arguments(_ mode: String, _ strata: [String]) -> [String] {
        switch mode {
        case "rootless": asUser(strata)
        case "root --no-userns": ["--reuid=0", "--regid=0", "--keep-groups", options.strata, "--store", process.store, "--no-userns"] + strata
        default: ["--reuid=0", "--regid=0", "--keep-groups", options.strata, "--store", process.store] + strata
        }
    }

    private static func setupAndTeardown(_ output: String) -> Double {
        guard let json = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
              let timings = json["timings_ms"] as? [String: Int] else { return 0 }
        return Double((timings["setup"] ?? 0) + (timings["teardown"] ?? 0))
    }
}
