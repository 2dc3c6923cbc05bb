import CArchive
import Glibc

/// Where an importer's tar comes from: a raw reader that detects and undoes
/// any compression, with a tar reader on top of its output. With `hashing`,
/// both streams are hashed on the way through, so that an import also tells
/// the digest of the bytes as stored and the diff id of the tar inside.
final class ArchiveInput {
    /// Entries are read from here.
    let tar: ArchiveHandle
    private let decompressor: ArchiveHandle
    private let source: Source
    private let feed: Feed

    /// Reads the file descriptor for the decompressor.
    private final class Source {
        let fd: Int32
        let name: String
        let hashing: Bool
        var hash = HashingStream()
        var failure: String?
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 17, alignment: 16)
        init(fd: Int32, name: String, hashing: Bool) {
            self.fd = fd
            self.name = name
            self.hashing = hashing
        }
        deinit { buffer.deallocate() }

        func next() -> Int {
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count >= 0 {
                    if hashing { hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
                    return count
                }
                if errno != EINTR {
                    failure = SystemError("read", path: name).description
                    return -1
                }
            }
        }
    }

    /// Hands the decompressed bytes to the tar reader.
    private final class Feed {
        let decompressor: ArchiveHandle
        let hashing: Bool
        var hash = HashingStream()
        init(decompressor: ArchiveHandle, hashing: Bool) {
            self.decompressor = decompressor
            self.hashing = hashing
        }

        func next(_ block: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
            var pointer: UnsafeRawPointer?
            var size = 0
            var offset: Int64 = 0
            let status = archive_read_data_block(decompressor.pointer, &pointer, &size, &offset)
            if status == ARCHIVE_EOF { return 0 }
            if status < ARCHIVE_WARN { return -1 }
            if hashing { hash.update(UnsafeRawBufferPointer(start: pointer, count: size)) }
            block?.pointee = pointer
            return size
        }
    }

    init(fd: Int32, name: String, hashing: Bool) throws(ArchiveError) {
        source = Source(fd: fd, name: name, hashing: hashing)
        decompressor = try ArchiveHandle(reader: name)
        try decompressor.check(archive_read_support_filter_all(decompressor.pointer), "enable decompression")
        try decompressor.check(archive_read_support_format_raw(decompressor.pointer), "enable raw reading")
        try decompressor.check(archive_read_open(
            decompressor.pointer, Unmanaged.passRetained(source).toOpaque(), nil,
            { _, context, block in
                let source = Unmanaged<Source>.fromOpaque(context!).takeUnretainedValue()
                block?.pointee = UnsafeRawPointer(source.buffer.baseAddress)
                return source.next()
            },
            { _, context in
                Unmanaged<Source>.fromOpaque(context!).release()
                return ARCHIVE_OK
            }), "open")
        var entry: OpaquePointer?
        let first = archive_read_next_header(decompressor.pointer, &entry)
        if first == ARCHIVE_EOF { throw ArchiveError(archive: name, entry: nil, reason: "is empty; expected a tar archive") }
        try decompressor.check(first, "read")

        feed = Feed(decompressor: decompressor, hashing: hashing)
        tar = try ArchiveHandle(reader: name)
        try tar.check(archive_read_support_format_tar(tar.pointer), "enable the tar format")
        try tar.check(archive_read_open(
            tar.pointer, Unmanaged.passRetained(feed).toOpaque(), nil,
            { _, context, block in
                Unmanaged<Feed>.fromOpaque(context!).takeUnretainedValue().next(block)
            },
            { _, context in
                Unmanaged<Feed>.fromOpaque(context!).release()
                return ARCHIVE_OK
            }), "open")
    }

    /// Reads what is left of both streams (a tar's padding after its end
    /// blocks, trailing bytes after the compressed stream) and returns what
    /// they hash to (nil without `hashing`).
    func finish() throws(ArchiveError) -> ArchiveDigests? {
        guard source.hashing else { return nil }
        while true {
            let count = feed.next(nil)
            if count == 0 { break }
            if count < 0 { try decompressor.check(ARCHIVE_FATAL, "read the end of the archive") }
        }
        while true {
            let count = source.next()
            if count == 0 { break }
            if count < 0 { throw ArchiveError(archive: source.name, entry: nil, reason: source.failure ?? "read failed") }
        }
        return ArchiveDigests(digest: source.hash.finish(), diffID: feed.hash.finish(), size: source.hash.count)
    }

    /// A read error of the file itself, when that is what failed.
    var readFailure: String? { source.failure }
}
