import Glibc
import SystemPackage

/// Reads a regular file in 128 KiB chunks without following a final symlink;
/// the one read loop behind copying, digesting and archiving.
public enum FileChunks {
    public static func forEach(
        in path: String, _ body: (UnsafeRawBufferPointer) throws(SystemError) -> Void
    ) throws(SystemError) {
        try FileDescriptor.opening(path, .readOnly, options: .noFollow).closing { file throws(SystemError) in
            try forEach(descriptor: file.rawValue, path: path, body)
        }
    }

    /// The same over an open descriptor, from its current offset.
    static func forEach(
        descriptor fd: Int32, path: String, _ body: (UnsafeRawBufferPointer) throws(SystemError) -> Void
    ) throws(SystemError) {
        try forEach(descriptor: fd, buffer: ChunkBuffer(), path: path, body)
    }

    /// The same into a buffer reused across files.
    static func forEach(
        descriptor fd: Int32, buffer: ChunkBuffer, path: @autoclosure () -> String,
        _ body: (UnsafeRawBufferPointer) throws(SystemError) -> Void
    ) throws(SystemError) {
        let bytes = buffer.bytes
        while true {
            let count = read(fd, bytes.baseAddress, bytes.count)
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path: path())
            }
            try body(UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
        }
    }

    /// write(2) all of `bytes`, retrying short writes and interruptions.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws(SystemError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: path)
            }
            offset += written
        }
    }
}

/// One 128 KiB read buffer, allocated once for a walk that reads thousands of files.
final class ChunkBuffer {
    let bytes: UnsafeMutableRawBufferPointer

    init() { bytes = .allocate(byteCount: 1 << 17, alignment: 16) }

    deinit { bytes.deallocate() }
}
