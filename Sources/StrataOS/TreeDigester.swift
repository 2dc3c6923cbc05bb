import CStrataSpawn
import Crypto
import Glibc

/// One walk behind `TreeDigest`. Every entry adds one record to the hash,
/// the top first, each directory before what it holds, names in the order
/// of their UTF-8 spelling:
///
///     RELATIVE \0 KIND \0 MODE \0 UID:GID \0 CONTENT [\0 xattr NAME=HEX]... \n
///
/// RELATIVE is "." for the top, then "./a/b"; MODE is the permission bits in
/// octal; CONTENT is the hex SHA-256 of a regular file's bytes, a symlink's
/// target, "MAJOR,MINOR" of a device node, or nothing. Names and targets are
/// spelled in lossy UTF-8. These bytes are what layer keys were made of:
/// they must not change.
struct TreeDigester {
    private var hasher = SHA256()
    private var summary: TreeSummary
    /// One read buffer for every file of the walk.
    private let buffer = ChunkBuffer()
    /// RELATIVE of the current directory, and where each ancestor's ends.
    private var relative: [UInt8] = []
    private var ends: [Int] = []

    /// Content digests of files whose identity is unchanged since the last walk.
    private let cache: FileDigestCache?

    init(keepingEntries: Bool, cache: FileDigestCache? = nil) {
        summary = TreeSummary(digest: "", files: 0, bytes: 0, entries: keepingEntries ? [:] : nil)
        self.cache = cache
    }

    mutating func summarize(_ root: String) throws(SystemError) -> TreeSummary {
        let walk = DirectoryWalk(top: root, sorted: true)
        while true {
            if let name = walk.next() {
                try add(name, in: walk)
            } else if try walk.ascend() != nil {
                relative.removeSubrange(ends.removeLast()...)
            } else {
                break
            }
        }
        var digest: [UInt8] = []
        appendHex(hasher.finalize(), to: &digest)
        summary.digest = String(decoding: digest, as: UTF8.self)
        return summary
    }

    /// Hashes the record of `name`, and enters it if it is a directory.
    private mutating func add(_ name: EntryName, in walk: DirectoryWalk) throws(SystemError) {
        let status = try walk.status(of: name)
        let isTop = walk.depth == 0
        let parentEnd = relative.count
        if isTop {
            relative.append(UInt8(ascii: "."))
        } else {
            relative.append(UInt8(ascii: "/"))
            relative += name.text.utf8
        }
        var record = relative
        record.append(0)
        record += status.kind.rawValue.utf8
        record.append(0)
        record += String(status.permissions, radix: 8).utf8
        record.append(0)
        record += "\(status.uid):\(status.gid)".utf8
        record.append(0)
        let attributes: [ExtendedAttributes.Attribute]
        switch status.kind {
        case .directory:
            try walk.descend(into: name, status: status)
            attributes = try ExtendedAttributes.read(descriptor: walk.directory.fd, path: walk.path())
        case .regular:
            let key = String(decoding: relative, as: UTF8.self)
            if let cache, let tail = cache.tail(for: key, status: status) {
                // Content digest and attributes, as recorded when the file was last read.
                record += tail
                attributes = []
                break
            }
            let flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC
            let start = record.count
            attributes = try walk.directory.withFile(name, flags: flags, path: walk.path(of: name)) {
                (fd) throws(SystemError) -> [ExtendedAttributes.Attribute] in
                var content = SHA256()
                try FileChunks.forEach(descriptor: fd, buffer: buffer, path: walk.path(of: name)) { content.update(bufferPointer: $0) }
                appendHex(content.finalize(), to: &record)
                return try ExtendedAttributes.read(descriptor: fd, path: walk.path(of: name))
            }
            if let cache {
                var tail = Array(record[start...])
                Self.appendAttributes(attributes, to: &tail)
                cache.remember(key, status: status, tail: tail)
            }
        case .symlink:
            let target = try walk.directory.readLink(name, path: walk.path(of: name))
            record += String(decoding: target, as: UTF8.self).utf8
            attributes = try ExtendedAttributes.read(entry: walk.directory.attributePath(of: name), path: walk.path(of: name))
        case .characterDevice, .blockDevice:
            record += "\(strata_major(status.raw.st_rdev)),\(strata_minor(status.raw.st_rdev))".utf8
            attributes = try ExtendedAttributes.read(entry: walk.directory.attributePath(of: name), path: walk.path(of: name))
        case .fifo, .socket:
            attributes = try ExtendedAttributes.read(entry: walk.directory.attributePath(of: name), path: walk.path(of: name))
        }
        Self.appendAttributes(attributes, to: &record)
        record.append(UInt8(ascii: "\n"))
        record.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        if !isTop { count(status, record: record) }
        if status.kind == .directory {
            ends.append(parentEnd)
        } else {
            relative.removeSubrange(parentEnd...)
        }
    }

    private static func appendAttributes(_ attributes: [ExtendedAttributes.Attribute], to record: inout [UInt8]) {
        for (attribute, value) in attributes {
            record.append(0)
            record += "xattr \(attribute)=".utf8
            appendHex(value, to: &record)
        }
    }

    private mutating func count(_ status: FileStatus, record: [UInt8]) {
        summary.files += 1
        if status.kind == .regular { summary.bytes += UInt64(max(0, status.size)) }
        if summary.entries != nil {
            var digest: [UInt8] = []
            appendHex(SHA256.hash(data: record).prefix(16), to: &digest)
            // RELATIVE without its leading "./".
            summary.entries?[String(decoding: relative.dropFirst(2), as: UTF8.self)] = String(decoding: digest, as: UTF8.self)
        }
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

/// Appends two lowercase hex digits per byte.
private func appendHex(_ bytes: some Sequence<UInt8>, to output: inout [UInt8]) {
    for byte in bytes {
        output.append(hexDigits[Int(byte >> 4)])
        output.append(hexDigits[Int(byte & 0x0f)])
    }
}
