/// The SHA-256 of a tree's content: every entry's path, type, permission
/// bits, owner, extended attributes, and its file bytes, symlink target or
/// device number. Not its times, inode numbers or hard-link structure: the
/// same content gives the same digest however it was produced.
///
/// The digest is part of layer keys: its records (see `TreeDigester`) and
/// their order must never change, or every store would be orphaned.
public enum TreeDigest {
    public static func digest(of root: String) throws(SystemError) -> String {
        try summary(of: root).digest
    }

    /// The digest, the number of entries below the top, the bytes of its
    /// regular files, and (with `entries`) each entry's own record digest
    /// by relative path, all from one descriptor-relative walk.
    /// With `cache`, a regular file whose identity (inode, size, times,
    /// mode, owner) is what the cache recorded is not read again; the cache
    /// then holds this walk's files (see `FileDigestCache`).
    public static func summary(of root: String, entries: Bool = false, cache: FileDigestCache? = nil) throws(SystemError) -> TreeSummary {
        var digester = TreeDigester(keepingEntries: entries, cache: cache)
        return try digester.summarize(root)
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
    /// Relative path ("bin/tool") -> the first 16 bytes, in hex, of the
    /// SHA-256 of that entry's record: compare two maps to name what changed.
    public var entries: [String: String]?
}
