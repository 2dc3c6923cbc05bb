import Foundation
import StrataOS

/// What reading content for trust costs: an input mount digested on every
/// reused build, and `layers verify` of a real layer, each against
/// `sha256sum` of the same files (what a user would run to check them).
struct DigestBenchmark {
    let options: BenchOptions
    let process: ProcessBenchmark
    static let toolFiles = 5000

    var tools: String { options.work + "/tools" }
    var toolsProfile: String { options.work + "/bench-tools.toml" }

    /// A tools tree like a distro's helper scripts: 5,000 files of 1 to 4 KiB in 50 directories.
    func prepare() {
        try? FileManager.default.removeItem(atPath: tools)
        Measure.shell("""
            set -e
            for d in $(seq 1 50); do
                mkdir -p '\(tools)'/dir$d
                for f in $(seq 1 \(Self.toolFiles / 50)); do
                    head -c $(( (f % 4 + 1) * 1024 )) /dev/urandom > '\(tools)'/dir$d/tool$f.sh
                done
            done
            """)
        let text = ProcessBenchmark.profileText(build: "true")
            + "\n[[mount]]\nsource = \"\(tools)\"\ntarget = \"/srv/tools\"\nreadonly = true\nkind = \"input\"\n"
        do { try text.write(toFile: toolsProfile, atomically: true, encoding: .utf8) } catch { Measure.fatal("\(error)") }
        process.strata(["build", "--profile", toolsProfile, "--output", options.work + "/out", process.source])
    }

    /// Median wall time of a reused build, without and with the input mount.
    func reusedBuilds(rounds: Int) -> (plain: Double, withTools: Double) {
        let plain = process.reusedBuild(rounds: rounds)
        let withTools = Measure.median(rounds) {
            Measure.spawnAndWait(options.strata, ["--store", process.store, "build", "--profile", toolsProfile,
                                                  "--output", options.work + "/out", process.source])
        }
        return (plain, withTools)
    }

    /// Median time of sha256sum over every regular file under `directory`.
    func sha256sum(_ directory: String, rounds: Int) -> Double {
        Measure.median(rounds) {
            Measure.spawnAndWait("/bin/sh", ["-c", "find '\(directory)' -type f -print0 | xargs -0 sha256sum > /dev/null"])
        }
    }

    /// Bytes of the regular files under `directory`.
    func bytes(_ directory: String) -> UInt64 {
        (try? TreeDigest.summary(of: directory, entries: false).bytes) ?? 0
    }

    /// `layers verify KEY` on a layer of `store` (the Debian update layer of
    /// `make e2e`), against sha256sum of its upper: (verify, sha256sum, bytes).
    func verify(store: String, rounds: Int) -> (verify: Double, sha256sum: Double, bytes: UInt64, key: String)? {
        let list = Measure.run(options.strata, ["--store", store, "--json", "layers", "list"], allowFailure: true)
        guard let json = try? JSONSerialization.jsonObject(with: Data(list.utf8)) as? [String: Any],
              let layers = json["layers"] as? [[String: Any]],
              let key = layers.first(where: { $0["role"] as? String == "update" })?["key"] as? String else { return nil }
        let upper = store + "/layers/" + key + "/upper"
        // Warm the page cache the same way for both.
        _ = sha256sum(upper, rounds: 1)
        let verify = Measure.median(rounds) {
            Measure.spawnAndWait(options.strata, ["--store", store, "layers", "verify", key])
        }
        return (verify, sha256sum(upper, rounds: rounds), bytes(upper), key)
    }
}
