import Foundation
import Glibc
import StrataOS
import Testing

/// What a build or an archive can leave behind that a walk by path strings
/// cannot handle: a tree deeper than PATH_MAX, a 255-byte name, a directory
/// and a file with mode 000. Every walk of StrataOS must measure, digest,
/// copy and remove such a tree.
@Suite(.needsRoot) struct DeepTreeTests {
    @Test func aTreeDeeperThanPathMaxIsMeasuredAndDigested() throws {
        let directory = try TemporaryDirectory()
        let tree = try DeepTree(at: directory.path + "/tree")
        defer { try? FileTree.remove(tree.top) }

        #expect(try DiskUsage.bytes(of: tree.top) == diskUsageByDu(tree.top))
        let summary = try TreeDigest.summary(of: tree.top, entries: true)
        #expect(summary.files == DeepTree.levels + DeepTree.entriesAtTheBottom)
        #expect(summary.bytes == DeepTree.bytesAtTheBottom)
        #expect(summary.entries?.count == summary.files)
        #expect(try TreeDigest.digest(of: tree.top) == summary.digest)
    }

    @Test func aTreeDeeperThanPathMaxIsCopiedWithItsLinksAndModes() throws {
        let directory = try TemporaryDirectory()
        let tree = try DeepTree(at: directory.path + "/tree")
        let copy = directory.path + "/copy"
        defer { try? FileTree.remove(tree.top); try? FileTree.remove(copy) }

        try FileTree.copy(from: tree.top, to: copy)
        #expect(try TreeDigest.digest(of: copy) == TreeDigest.digest(of: tree.top))
        let bottom = try DeepTree.bottom(of: copy)
        defer { close(bottom) }
        #expect(try DeepTree.status(of: DeepTree.longName, in: bottom).st_nlink == 2)
        #expect(try DeepTree.status(of: "closed", in: bottom).st_mode == S_IFDIR)
        #expect(try DeepTree.status(of: "locked", in: bottom).st_mode == S_IFREG)
    }

    @Test func aTreeDeeperThanPathMaxIsRemovedCompletely() throws {
        let directory = try TemporaryDirectory()
        let tree = try DeepTree(at: directory.path + "/tree")
        try FileTree.remove(tree.top)
        #expect(access(tree.top, F_OK) != 0 && errno == ENOENT)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func aTreeDeeperThanPathMaxIsExported() throws {
        let directory = try TemporaryDirectory()
        let tree = try DeepTree(at: directory.path + "/tree")
        defer { try? FileTree.remove(tree.top) }

        try ArchiveExporter(compression: .none).export(tree.top, to: directory.path + "/tree.tar")
        let listing = try run("/usr/bin/tar", ["-tf", directory.path + "/tree.tar"])
        // The top ("./") and every entry below it.
        #expect(listing.split(separator: "\n").count == 1 + DeepTree.levels + DeepTree.entriesAtTheBottom)
    }

    /// Expected values computed by the path-based walk this one replaced:
    /// the digest is part of every layer key, so it must never change.
    @Test func theDigestOfASmallTreeIsPinned() throws {
        let directory = try TemporaryDirectory()
        let top = directory.path + "/tree"
        try makeEntry(top, mode: 0o755, directory: true)
        try makeEntry(top + "/bin", mode: 0o755, directory: true)
        try makeEntry(top + "/bin/tool", mode: 0o755, content: "#!/bin/sh\necho tool\n")
        try makeEntry(top + "/bin/suid", mode: 0o4755, content: "x")
        try makeEntry(top + "/etc", mode: 0o750, directory: true)
        try makeEntry(top + "/etc/config", mode: 0o640, content: "key = 1\n")
        try makeEntry(top + "/empty", mode: 0o700, directory: true)
        if symlink("tool", top + "/bin/sh") != 0 { throw SystemError("symlink", path: top + "/bin/sh") }
        for path in [top, top + "/bin", top + "/bin/tool", top + "/bin/suid", top + "/bin/sh", top + "/etc", top + "/etc/config", top + "/empty"] {
            if lchown(path, 0, 0) != 0 { throw SystemError("lchown", path: path) }
        }
        // chown clears setuid: set the mode again.
        if chmod(top + "/bin/suid", 0o4755) != 0 { throw SystemError("chmod", path: top + "/bin/suid") }

        let summary = try TreeDigest.summary(of: top, entries: true)
        #expect(summary.digest == "3123f2539d04b97592d924d3c97140cbcb08dab3d057f9d1167b25ad0584438a")
        #expect(try TreeDigest.digest(of: top) == summary.digest)
        #expect(summary.files == 7)
        #expect(summary.bytes == 29)
        #expect(summary.entries?["bin/tool"] == "512c1dd12a04e497643b994c8d2d5859")
        #expect(summary.entries?.keys.sorted() == ["bin", "bin/sh", "bin/suid", "bin/tool", "empty", "etc", "etc/config"])
    }

    /// 5,000 small files in 50 directories; prints how long one digest takes.
    @Test func aTreeOfManyFilesIsSummarizedInOneWalk() throws {
        let directory = try TemporaryDirectory()
        let top = directory.path + "/tree"
        try makeEntry(top, mode: 0o755, directory: true)
        for group in 0..<50 {
            try makeEntry("\(top)/d\(group)", mode: 0o755, directory: true)
            for file in 0..<100 {
                try makeEntry("\(top)/d\(group)/f\(file)", mode: 0o644, content: "file \(group) \(file)\n")
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let summary = try TreeDigest.summary(of: top)
        print("digest of 5,000 files: \(clock.now - start)")
        #expect(summary.files == 5_050)
        #expect(summary.digest.count == 64)
    }
}

/// A tree of `levels` nested 10-byte directory names (13,200 bytes of path:
/// more than three times PATH_MAX), made with descriptor-relative calls as a
/// build could make it. At the bottom: a file with a 255-byte name, a hard
/// link to it, a symlink, a mode-000 file and a mode-000 directory holding a file.
private struct DeepTree {
    static let levels = 1_200
    static let level = "level-0000"
    static let longName = String(repeating: "n", count: 255)
    static let entriesAtTheBottom = 6
    /// Four regular files (the hard link counts as one) of 7 bytes.
    static let bytesAtTheBottom: UInt64 = 28

    let top: String

    init(at top: String) throws {
        self.top = top
        if mkdir(top, 0o755) != 0 { throw SystemError("mkdir", path: top) }
        var fd = try Self.check(open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open", top)
        defer { close(fd) }
        for _ in 0..<Self.levels {
            _ = try Self.check(mkdirat(fd, Self.level, 0o755), "mkdirat", Self.level)
            let next = try Self.check(openat(fd, Self.level, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "openat", Self.level)
            close(fd)
            fd = next
        }
        try Self.write("bottom\n", to: Self.longName, in: fd, mode: 0o644)
        _ = try Self.check(linkat(fd, Self.longName, fd, "hard-link", 0), "linkat", "hard-link")
        _ = try Self.check(symlinkat(Self.longName, fd, "symlink"), "symlinkat", "symlink")
        try Self.write("locked\n", to: "locked", in: fd, mode: 0)
        _ = try Self.check(mkdirat(fd, "closed", 0o755), "mkdirat", "closed")
        try Self.write("inside\n", to: "closed/inside", in: fd, mode: 0o644)
        _ = try Self.check(fchmodat(fd, "closed", 0, 0), "fchmodat", "closed")
    }

    /// An open descriptor of the bottom directory of the tree at `top`.
    static func bottom(of top: String) throws -> Int32 {
        var fd = try check(open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open", top)
        for _ in 0..<levels {
            let next = openat(fd, level, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            close(fd)
            fd = try check(next, "openat", level)
        }
        return fd
    }

    static func status(of name: String, in fd: Int32) throws -> stat {
        var buffer = stat()
        _ = try check(fstatat(fd, name, &buffer, AT_SYMLINK_NOFOLLOW), "fstatat", name)
        return buffer
    }

    private static func write(_ text: String, to name: String, in directory: Int32, mode: mode_t) throws {
        let fd = try check(openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode), "openat", name)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        if Glibc.write(fd, bytes, bytes.count) != bytes.count { throw SystemError("write", path: name) }
    }

    @discardableResult
    private static func check(_ result: Int32, _ operation: String, _ name: String) throws -> Int32 {
        if result < 0 { throw SystemError(operation, path: name) }
        return result
    }
}

/// A directory, or a regular file with `content`, with exactly `mode`.
private func makeEntry(_ path: String, mode: mode_t, directory: Bool = false, content: String = "") throws {
    if directory {
        if mkdir(path, 0o700) != 0 { throw SystemError("mkdir", path: path) }
    } else {
        try FileTree.writeFile(path, Array(content.utf8), mode: 0o600)
    }
    if chmod(path, mode) != 0 { throw SystemError("chmod", path: path) }
}

/// `du -s -B1`: GNU du walks with descriptors, at any depth.
private func diskUsageByDu(_ path: String) throws -> UInt64 {
    let text = try run("/usr/bin/du", ["-s", "-B1", path])
    return try #require(UInt64(text.prefix { $0.isNumber }))
}

/// The standard output of a command that must succeed.
private func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(executable) \(arguments)")
    return String(decoding: output, as: UTF8.self)
}
