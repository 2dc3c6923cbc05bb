import CStrataSpawn
import Crypto
import Glibc

/// The SHA-256 of a tree's content: every entry's path, type, permission
/// bits, owner, extended attributes, and its file bytes, symlink target or
/// device number. Not its times, inode numbers or hard-link structure: the
/// same content gives the same digest however it was produced.
public enum TreeDigest {
    public static func digest(of root: String) throws(SystemError) -> String {
        try summary(of: root, entries: false).digest
    }

    /// The digest, with the number of entries and bytes of regular files,
    /// and (with `entries`) each entry's own record digest by relative path.
    /// (Interim path-based walk: being made descriptor-relative.)
    public static func summary(of root: String, entries: Bool = false) throws(SystemError) -> TreeSummary {
        var hasher = SHA256()
        var summary = TreeSummary(digest: "", files: 0, bytes: 0, entries: entries ? [:] : nil)
        try visit(root, relative: ".", into: &hasher, summary: &summary)
        summary.digest = hasher.finalize().map { hexByte($0) }.joined()
        return summary
    }

    private static func visit(_ path: String, relative: String, into hasher: inout SHA256, summary: inout TreeSummary) throws(SystemError) {
        let status = try FileStatus(path: path)
        var record = "\(relative)\u{0}\(status.kind.rawValue)\u{0}\(String(status.permissions, radix: 8))"
        record += "\u{0}\(status.uid):\(status.gid)\u{0}"
        switch status.kind {
        case .regular: record += try fileDigest(path)
        case .symlink: record += try readSymlink(path)
        case .characterDevice, .blockDevice:
            record += "\(strata_major(status.raw.st_rdev)),\(strata_minor(status.raw.st_rdev))"
        case .directory, .fifo, .socket: break
        }
        for (name, value) in try ExtendedAttributes.read(path) {
            record += "\u{0}xattr \(name)=\(value.map { hexByte($0) }.joined())"
        }
        record += "\n"
        hasher.update(data: Array(record.utf8))
        if relative != "." {
            summary.files += 1
            if status.kind == .regular { summary.bytes += UInt64(max(0, status.size)) }
            if summary.entries != nil {
                summary.entries?[String(relative.dropFirst(2))] = SHA256.hash(data: Array(record.utf8)).prefix(16).map { hexByte($0) }.joined()
            }
        }
        if status.kind == .directory {
            for name in try directoryEntries(path) {
                try visit(path + "/" + name, relative: relative + "/" + name, into: &hasher, summary: &summary)
            }
        }
    }

    private static func fileDigest(_ path: String) throws(SystemError) -> String {
        var hasher = SHA256()
        try FileChunks.forEach(in: path) { chunk in hasher.update(bufferPointer: chunk) }
        return hasher.finalize().map { hexByte($0) }.joined()
    }
}

/// Two lowercase hex digits.
public func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
}

/// One walk of a tree: its digest, how many entries it has below its top,
/// the bytes of its regular files, and optionally each entry's digest.
public struct TreeSummary: Sendable, Equatable {
    public var digest: String
    public var files: Int
    public var bytes: UInt64
    /// Relative path ("bin/tool") -> digest of that entry's record.
    public var entries: [String: String]?
}
