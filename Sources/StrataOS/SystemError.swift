// StrataOS: the operating-system boundary of Strata. Mounts and the mount
// table, namespaces, file locks, isolated child processes and file trees.
// Raw errno values and C handles stay inside this module; callers see typed
// values and `SystemError`, whose message names the call and the path.
import Glibc
import SystemPackage

/// A failed system call: which operation, on which path, and the errno.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let path: String?
    public let errno: Errno

    public init(_ operation: String, path: String? = nil, errno code: Int32 = Glibc.errno) {
        self.operation = operation
        self.path = path
        self.errno = Errno(rawValue: code)
    }

    /// An error this module's callers report themselves, with a typed errno.
    public init(_ operation: String, path: String? = nil, errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let subject = path.map { " \($0)" } ?? ""
        return "\(operation)\(subject): \(errno.description)"
    }
}

/// Calls `body` until it stops failing with EINTR; throws on any other failure.
@discardableResult
func retryingInterrupts<Result: BinaryInteger>(
    _ operation: String, path: String? = nil, _ body: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = body()
        if result >= 0 { return result }
        if Glibc.errno == EINTR { continue }
        throw SystemError(operation, path: path)
    }
}
