// StrataCore: the domain of Strata, a library product that does what the
// command line does (Build/BuildWorkflow). Folders by concern; each one's
// header says what lives there and what it may use. StrataCore imports no
// Glibc: system calls, errno and C handles are StrataOS's.
//
// Support/ — what every folder uses: StrataError (and the exit codes),
// canonical JSON, quantities, timestamps, the stopwatch, the host check,
// test pause points, digests as text. May use: StrataOS. Uses no other folder.

import StrataOS

/// An error a user can act on. Its category decides the exit code
/// (Docs/exit-codes.md); its message says what failed, where, and what to do.
public struct StrataError: Error, CustomStringConvertible, Sendable {
    public enum Category: Sendable {
        /// Bad usage, profile or input: exit 2.
        case input
        /// Resolving or installing the dependencies failed: exit 3.
        case dependencies
        /// Not root, no overlayfs, unsuitable store, a lock timeout, a failed system call: exit 4.
        case environment
        /// Ended by SIGINT or SIGTERM after teardown: exit 128 + the signal.
        case interrupted(signal: Int32)
    }

    public let category: Category
    public let message: String
    /// The failed system call behind an environment error, when there was
    /// one: callers can ask for its errno (`error.cause?.errno == .resourceBusy`).
    public let cause: SystemError?

    public init(_ category: Category, _ message: String, cause: SystemError? = nil) {
        self.category = category
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    public var exitCode: Int32 {
        switch category {
        case .input: 2
        case .dependencies: 3
        case .environment: 4
        case .interrupted(let signal): 128 + signal
        }
    }

    /// Throws `.interrupted` when SIGINT or SIGTERM has arrived: checked
    /// between steps, so that teardown runs before strata exits.
    static func checkInterruption() throws(StrataError) {
        if let signal = Termination.signal {
            throw StrataError(.interrupted(signal: signal), "interrupted by \(Termination.name(of: signal)); everything was torn down")
        }
    }

    static func input(_ message: String) -> StrataError { StrataError(.input, message) }
    static func environment(_ message: String, cause: SystemError? = nil) -> StrataError {
        StrataError(.environment, message, cause: cause)
    }

    /// A system call that failed while doing `what`.
    static func system(_ error: SystemError, while what: String) -> StrataError {
        StrataError(.environment, "\(what): \(error)", cause: error)
    }
}

/// Runs `body`, turning a `SystemError` into a `StrataError` that says what was being done.
@discardableResult
func during<T>(_ what: String, _ body: () throws -> T) throws(StrataError) -> T {
    do {
        return try body()
    } catch let error as StrataError {
        throw error
    } catch let error as SystemError {
        throw StrataError.system(error, while: what)
    } catch {
        throw StrataError(.environment, "\(what): \(error)")
    }
}
