import Foundation
import StrataOS

/// The same install (unpacking a tarball of files into /) run through strata,
/// which makes a layer of it, and run directly in a chroot on a copy of the base.
struct LayerCreationBenchmark {
    let options: BenchOptions
    let fixtures: Fixtures
    let payload: RootSize
    let store: String

    private var install: String { "tar -xf /srv/payload/payload.tar -C /" }

    /// strata's reported "layer" phase: overlay, install, teardown, sync, rename.
    func throughStrata(rounds: Int) -> Double {
        var samples: [Double] = []
        for round in 0..<rounds {
            let profile = options.work + "/bench-layer.toml"
            let text = """
                cache_version = \(round + 1000)

                [base]
                image = "bench-base"

                [deps]
                resolve = "echo payload 1.0"
                install = "\(install)"

                [build]
                run = "true"

                [[mount]]
                source = "\(fixtures.directory(payload))"
                target = "/srv/payload"
                readonly = true
                """
            try? text.write(toFile: profile, atomically: true, encoding: .utf8)
            let output = Measure.run(options.strata, ["--store", store, "--json", "build", "--profile", profile,
                                                      "--output", options.work + "/out", options.work + "/src"])
            guard let json = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
                  let timings = json["timings_ms"] as? [String: Int], let layer = timings["layer"] else {
                Measure.fatal("no layer timing in \(output)")
            }
            samples.append(Double(layer))
            // The layer is 500 MB: keep the disk from filling up.
            Measure.run(options.strata, ["--store", store, "gc", "--keep-last", "1"])
        }
        return Measure.median(samples)
    }

    /// The same command in a plain chroot on a fresh copy of the base.
    func inChroot(rounds: Int) -> Double {
        var samples: [Double] = []
        let root = options.work + "/chroot"
        for _ in 0..<rounds {
            Measure.shell("rm -rf '\(root)' && cp -a '\(fixtures.base)' '\(root)' && mkdir -p '\(root)/srv/payload'")
            do {
                try Mount.bind(fixtures.directory(payload), to: root + "/srv/payload", readOnly: true).perform()
            } catch { Measure.fatal("\(error)") }
            samples.append(Measure.time { Measure.spawnAndWait("/usr/sbin/chroot", [root, "/bin/sh", "-c", install]) })
            try? Mount.unmount(root + "/srv/payload")
        }
        Measure.shell("rm -rf '\(root)'")
        return Measure.median(samples)
    }
}
