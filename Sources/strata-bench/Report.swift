import Foundation
import Glibc

/// The results, as Markdown tables: printed, and written to a file.
struct Report {
    private var lines: [String] = []

    mutating func machine() {
        var names = utsname()
        uname(&names)
        let kernel = withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let memory = Double(sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE))) / 1_073_741_824
        lines += ["Machine: \(cores) cores, \(String(format: "%.0f", memory)) GiB, Linux \(kernel). Medians of repeated runs.", ""]
    }

    private var readyRootHeader = false

    mutating func readyRoot(size: RootSize, strata: Double, floor: Double, copy: Double, untar: Double) {
        if !readyRootHeader {
            lines += ["## Ready root: setup + /bin/true + teardown, over a reused deps layer", "",
                      "| root | strata | syscall floor | strata / floor | cp -a + rm | cp -a / strata | tar -x + rm | tar -x / strata |",
                      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
            readyRootHeader = true
        }
        lines.append("| \(size.name), \(size.files) files | \(Measure.format(strata)) | \(Measure.format(floor)) | \(Measure.ratio(strata / floor)) | \(Measure.format(copy)) | \(Measure.ratio(copy / strata)) | \(Measure.format(untar)) | \(Measure.ratio(untar / strata)) |")
    }

    mutating func wholeProcess(build: Double, start: Double, setupAndTeardown: Double) {
        lines += ["", "## Whole process: `strata build` with every layer reused and `true` as the build", "",
                  "| strata build (wall) | strata process start (`image list`) | setup + teardown as strata reports them |",
                  "| ---: | ---: | ---: |",
                  "| \(Measure.format(build)) | \(Measure.format(start)) | \(Measure.format(setupAndTeardown)) |"]
    }

    mutating func rootless(_ result: RootlessBenchmark.Result) {
        let root = result.wall["root"] ?? 0
        let rootReady = result.ready["root"] ?? 0
        lines += ["", "## Rootless against root: `strata build` with every layer reused (interleaved, medians)", "",
                  "| mode | strata build (wall) | ratio to root | ready root (setup + teardown, as reported) | ratio to root |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for mode in RootlessBenchmark.modes {
            let wall = result.wall[mode] ?? 0
            let ready = result.ready[mode] ?? 0
            lines.append("| \(mode) | \(Measure.format(wall)) | \(String(format: "%.2f×", wall / max(root, 0.001))) | \(Measure.format(ready)) | \(String(format: "%.2f×", ready / max(rootReady, 0.001))) |")
        }
    }

    mutating func layerCreation(payload: RootSize, strata: Double, chroot: Double) {
        lines += ["", "## Layer creation: unpacking \(payload.name) in \(payload.files) files as the install step", "",
                  "| through strata (layer phase) | directly in a chroot | overhead |", "| ---: | ---: | ---: |",
                  "| \(Measure.format(strata)) | \(Measure.format(chroot)) | \(String(format: "%+.1f%%", (strata / chroot - 1) * 100)) |"]
    }

    private var concurrentHeader = false

    mutating func concurrent(count: Int, wall: Double, diskPerBuild: UInt64, written: UInt64) {
        if !concurrentHeader {
            lines += ["", "## Concurrent builds sharing one deps layer (each writes \(written >> 20) MiB to its scratch)", "",
                      "| builds | wall | wall per build | disk per build | scratch writes |", "| ---: | ---: | ---: | ---: | ---: |"]
            concurrentHeader = true
        }
        lines.append("| \(count) | \(Measure.format(wall)) | \(Measure.format(wall / Double(count))) | \(String(format: "%.1f MiB", Double(diskPerBuild) / 1_048_576)) | \(written >> 20) MiB |")
    }

    mutating func inputMount(files: Int, bytes: UInt64, plain: Double, withTools: Double, sha256sum: Double) {
        let added = withTools - plain
        lines += ["", "## Input mounts: a reused build with an input mount of \(files) files (\(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB)", "",
                  "| reused build | with the input mount | added by digesting it | sha256sum of the same files | added / sha256sum |",
                  "| ---: | ---: | ---: | ---: | ---: |",
                  "| \(Measure.format(plain)) | \(Measure.format(withTools)) | \(Measure.format(added)) | \(Measure.format(sha256sum)) | \(Measure.ratio(added / sha256sum)) |"]
    }

    mutating func verify(key: String, bytes: UInt64, verify: Double, sha256sum: Double) {
        let megabytes = Double(bytes) / 1_000_000
        lines += ["", "## layers verify of the Debian update layer \(key.prefix(12)) (\(String(format: "%.0f", megabytes)) MB of files), page cache warm", "",
                  "| strata layers verify | MB/s | sha256sum of the same files | MB/s | verify / sha256sum |",
                  "| ---: | ---: | ---: | ---: | ---: |",
                  "| \(Measure.format(verify)) | \(String(format: "%.0f", megabytes / verify * 1000)) | \(Measure.format(sha256sum)) | \(String(format: "%.0f", megabytes / sha256sum * 1000)) | \(Measure.ratio(verify / sha256sum)) |"]
    }

    func print(to path: String) {
        let text = lines.joined(separator: "\n") + "\n"
        FileHandle.standardOutput.write(Data(text.utf8))
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        log("results written to \(path)")
    }
}
