import CCurl
import Glibc

/// The state of one transfer, shared with libcurl's callbacks: the response
/// headers as they arrive, where the body goes, and where an upload comes from.
final class HTTPTransfer {
    var status = 0
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    /// Takes the body of a successful response; returns false to stop.
    let sink: ((UnsafeRawBufferPointer) -> Bool)?
    let uploadFD: Int32
    let uploadBytes: [UInt8]
    var uploadOffset = 0
    /// Set by the body sink or the upload when they stop the transfer.
    var failure: String?
    /// Polled during the transfer; returning true aborts it.
    let shouldStop: () -> Bool
    /// Error bodies are kept up to this size, for the message.
    static let errorBodyLimit = 1 << 16

    init(sink: ((UnsafeRawBufferPointer) -> Bool)?, uploadFD: Int32, uploadBytes: [UInt8], shouldStop: @escaping () -> Bool) {
        self.sink = sink
        self.uploadFD = uploadFD
        self.uploadBytes = uploadBytes
        self.shouldStop = shouldStop
    }

    func receiveHeader(_ line: String) {
        let trimmed = line.trimmed
        if trimmed.hasPrefix("HTTP/") {
            // A new response (after a redirect or a 100 Continue): start over.
            headers = [:]
            let parts = trimmed.split(separator: " ")
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].lowercased()
        headers[name] = trimmed[trimmed.index(after: colon)...].trimmed
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let sink, (200..<300).contains(status) {
            return sink(bytes)
        }
        if body.count < Self.errorBodyLimit || sink == nil {
            body.append(contentsOf: bytes)
        }
        return true
    }

    /// Fills `buffer` with the next upload bytes; 0 at the end, nil on failure.
    func sendBody(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        if uploadFD >= 0 {
            while true {
                let count = read(uploadFD, buffer.baseAddress, buffer.count)
                if count >= 0 { return count }
                if errno != EINTR {
                    failure = "reading the upload: \(String(cString: strerror(errno)))"
                    return nil
                }
            }
        }
        let count = min(buffer.count, uploadBytes.count - uploadOffset)
        if count == 0 { return 0 }
        uploadBytes.withUnsafeBytes { source in
            buffer.baseAddress?.copyMemory(from: source.baseAddress! + uploadOffset, byteCount: count)
        }
        uploadOffset += count
        return count
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line ends.
    var trimmed: String {
        let blank: Set<Unicode.Scalar> = [" ", "\t", "\r", "\n"]
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, blank.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, blank.contains(last) { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
