import CStrataSpawn
import Glibc

/// A line-based conversation over two descriptors (a virtualisation
/// server's stdin and stdout): whole lines in, whole lines out, unbuffered
/// on the way out so that the other side sees each answer at once.
public final class LineChannel {
    private let input: Int32
    private let output: Int32
    private var pending: [UInt8] = []
    /// How much of `pending` holds no newline: each byte is looked at once.
    private var scanned = 0
    /// The longest line accepted; a longer one fails the read (E2BIG).
    public let maximumLength: Int

    public init(input: Int32, output: Int32, maximumLength: Int = 1 << 20) {
        self.input = input
        self.output = output
        self.maximumLength = maximumLength
    }

    /// The next line without its newline; nil at end of input. A signal
    /// (SIGINT, SIGTERM, SIGHUP) ends the wait with EINTR.
    public func readLine() throws(SystemError) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = pending[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                scanned = 0
                return line
            }
            scanned = pending.count
            if pending.count > maximumLength {
                throw SystemError("read a request: a line of more than \(maximumLength) bytes", errno: E2BIG)
            }
            if strata_wait_readable(input) != 0 {
                if errno == EINTR && Termination.signal == nil { continue }
                throw SystemError("wait for a request")
            }
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count > 0 {
                pending.append(contentsOf: buffer[..<count])
            } else if count == 0 {
                if pending.isEmpty { return nil }
                defer { pending.removeAll(); scanned = 0 }
                return String(decoding: pending, as: UTF8.self)
            } else if errno != EINTR || Termination.signal != nil {
                throw SystemError("read a request")
            }
        }
    }

    /// Writes `line` and a newline.
    public func writeLine(_ line: String) throws(SystemError) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR && Termination.signal == nil { continue }
                throw SystemError("write an answer")
            }
            offset += count
        }
    }
}
