import CStrataSpawn
import Crypto
import Glibc

/// The SHA-256 of a tree's content: every entry's path, type, permission
/// bits, owner, extended attributes, and its file bytes, symlink target or
/// device number. Not its times, inode numbers or hard-link structure: the
/// same content gives the same digest however it was produced.
public enum TreeDigest {
    public static func digest(of root: String) throws(SystemError) -> String {
        var hasher = SHA256()
        try visit(root, relative: ".", into: &hasher)
        return hasher.finalize().map { hexByte($0) }.joined()
    }

    private static func visit(_ path: String, relative: String, into hasher: inout SHA256) throws(SystemError) {
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
        if status.kind == .directory {
            for name in try directoryEntries(path) {
                try visit(path + "/" + name, relative: relative + "/" + name, into: &hasher)
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
