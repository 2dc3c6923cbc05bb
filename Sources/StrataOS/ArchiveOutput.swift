import CArchive
import Glibc

/// Where an exporter's tar goes: a tar writer whose bytes are hashed (the
/// diff id) and passed to a second, raw writer that compresses them, hashes
/// the result (the digest) and writes it to a file descriptor. Neither
/// stream is padded past the tar's own end-of-archive blocks, so the bytes
/// depend on the content only.
final class ArchiveOutput {
    /// Entries are written here.
    let tar: ArchiveHandle
    private let compressor: ArchiveHandle
    private let sink: Sink

    /// Receives the compressed bytes; lives as long as the compressor.
    private final class Sink {
        let fd: Int32
        let name: String
        var hash = HashingStream()
        var failure: String?
        init(fd: Int32, name: String) { self.fd = fd; self.name = name }
    }

    /// Receives the tar's bytes and feeds the compressor.
    private final class Feed {
        let compressor: ArchiveHandle
        var hash = HashingStream()
        init(compressor: ArchiveHandle) { self.compressor = compressor }
    }

    private let feed: Feed

    init(fd: Int32, name: String, compression: ArchiveExporter.Compression) throws(ArchiveError) {
        sink = Sink(fd: fd, name: name)
        compressor = try ArchiveHandle(writer: name)
        try compressor.check(archive_write_set_format_raw(compressor.pointer), "set the raw format")
        switch compression {
        case .zstd:
            try compressor.check(archive_write_add_filter_zstd(compressor.pointer), "enable zstd")
            // Compression in two worker threads, beside the thread that reads
            // the tree. A fixed count, not the machine's: zstd's output
            // depends on the worker count, and must not depend on the machine.
            try compressor.check(archive_write_set_filter_option(compressor.pointer, "zstd", "threads", "2"), "set zstd threads")
        case .gzip:
            try compressor.check(archive_write_add_filter_gzip(compressor.pointer), "enable gzip")
            // No name or time in the gzip header: same input, same bytes.
            try compressor.check(archive_write_set_filter_option(compressor.pointer, "gzip", "timestamp", nil), "set gzip options")
        case .none: try compressor.check(archive_write_add_filter_none(compressor.pointer), "disable compression")
        }
        try compressor.check(archive_write_set_bytes_in_last_block(compressor.pointer, 1), "set blocking")
        try compressor.check(archive_write_open2(
            compressor.pointer, Unmanaged.passRetained(sink).toOpaque(), nil,
            { _, context, buffer, length in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
                sink.hash.update(bytes)
                do { try FileChunks.writeAll(bytes, to: sink.fd, path: sink.name) } catch {
                    sink.failure = "\(error)"
                    return -1
                }
                return length
            },
            nil,
            { _, context in
                Unmanaged<Sink>.fromOpaque(context!).release()
                return ARCHIVE_OK
            }), "open")
        guard let entry = archive_entry_new() else { throw ArchiveError(archive: name, entry: nil, reason: "out of memory") }
        archive_entry_set_filetype(entry, S_IFREG)
        archive_entry_set_pathname(entry, "data")
        let header = archive_write_header(compressor.pointer, entry)
        archive_entry_free(entry)
        try compressor.check(header, "start the compressed stream")

        feed = Feed(compressor: compressor)
        tar = try ArchiveHandle(writer: name)
        try tar.check(archive_write_set_format_pax(tar.pointer), "set the pax format")
        try tar.check(archive_write_add_filter_none(tar.pointer), "set the tar filter")
        try tar.check(archive_write_set_bytes_in_last_block(tar.pointer, 1), "set blocking")
        try tar.check(archive_write_open2(
            tar.pointer, Unmanaged.passRetained(feed).toOpaque(), nil,
            { _, context, buffer, length in
                let feed = Unmanaged<Feed>.fromOpaque(context!).takeUnretainedValue()
                feed.hash.update(UnsafeRawBufferPointer(start: buffer, count: length))
                return archive_write_data(feed.compressor.pointer, buffer, length) < 0 ? -1 : length
            },
            nil,
            { _, context in
                Unmanaged<Feed>.fromOpaque(context!).release()
                return ARCHIVE_OK
            }), "open")
    }

    /// Ends both streams and returns what they hash to.
    func finish() throws(ArchiveError) -> ArchiveDigests {
        try tar.check(archive_write_close(tar.pointer), "finish the tar stream")
        if let failure = sink.failure { throw ArchiveError(archive: sink.name, entry: nil, reason: failure) }
        try compressor.check(archive_write_close(compressor.pointer), "finish the compressed stream")
        if let failure = sink.failure { throw ArchiveError(archive: sink.name, entry: nil, reason: failure) }
        return ArchiveDigests(digest: sink.hash.finish(), diffID: feed.hash.finish(), size: sink.hash.count)
    }

    /// The message of a failed write of the final file, when that is what failed.
    var writeFailure: String? { sink.failure }
}
