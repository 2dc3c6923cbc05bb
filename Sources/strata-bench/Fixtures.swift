import Foundation
import StrataOS

/// The roots the benchmarks work on: a busybox base (Examples/demo), and per
/// size a "deps layer" of generated files over it, the same root flattened
/// into one directory (what cp -a copies), and a tarball of it (what a root
/// cache unpacks). Made once and kept in the work directory.
struct RootSize {
    let name: String
    let bytes: Int
    let files: Int
}

struct Fixtures {
    let options: BenchOptions
    var base: String { options.work + "/base" }

    func directory(_ size: RootSize) -> String { options.work + "/roots/" + size.name }
    func deps(_ size: RootSize) -> String { directory(size) + "/deps" }
    func flat(_ size: RootSize) -> String { directory(size) + "/flat" }
    func tarball(_ size: RootSize) -> String { directory(size) + "/root.tar" }
    /// The generated files alone, as an install step would unpack them.
    func payload(_ size: RootSize) -> String { directory(size) + "/payload.tar" }

    func prepareBase() {
        if FileManager.default.fileExists(atPath: base + "/bin/busybox") { return }
        Measure.run("/bin/sh", [options.repository + "/Examples/demo/make-base.sh", base])
    }

    func prepare(_ size: RootSize) {
        let done = directory(size) + "/.complete"
        if FileManager.default.fileExists(atPath: done) { return }
        try? FileManager.default.removeItem(atPath: directory(size))
        log("generating the \(size.name) root: \(size.files) files, \(size.bytes / 1_000_000) MB")
        generate(into: deps(size), bytes: size.bytes, files: size.files)
        Measure.shell("mkdir -p '\(flat(size))' && cp -a '\(base)/.' '\(flat(size))/' && cp -a '\(deps(size))/.' '\(flat(size))/'")
        Measure.shell("tar -cf '\(tarball(size))' -C '\(flat(size))' .")
        Measure.shell("tar -cf '\(payload(size))' -C '\(deps(size))' .")
        _ = FileManager.default.createFile(atPath: done, contents: nil)
    }

    /// Files of equal size in directories of 100, under usr/lib/bench.
    private func generate(into directory: String, bytes: Int, files: Int) {
        let each = max(1, bytes / files)
        var noise = [UInt8](repeating: 0, count: each + 4096)
        for index in noise.indices { noise[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 13) }
        for file in 0..<files {
            let folder = directory + "/usr/lib/bench/\(file / 100)"
            if file % 100 == 0 { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            let offset = file % 4096
            let data = Array(noise[offset..<(offset + each)])
            do { try FileTree.writeFile(folder + "/file\(file)", data) } catch { Measure.fatal("\(error)") }
        }
    }
}

func log(_ message: String) {
    FileHandle.standardError.write(Data("strata-bench: \(message)\n".utf8))
}
