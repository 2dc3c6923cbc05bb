import CStrataSpawn
import Glibc

/// A descriptor strata opened to hand to a command as one of its standard
/// streams; closed when this value goes away (or by `close()`). Every one
/// is close-on-exec: a command gets it only where it is placed.
public final class OpenFile {
    public private(set) var descriptor: Int32

    private init(_ descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close() }

    public func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// An existing file, to read.
    public static func reading(_ path: String) throws(SystemError) -> OpenFile {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", path: path) }
        return OpenFile(fd)
    }

    /// A file made or emptied, to write (0666 less the umask, as a shell's `>`).
    public static func writing(_ path: String) throws(SystemError) -> OpenFile {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        if fd < 0 { throw SystemError("create", path: path) }
        return OpenFile(fd)
    }

    /// The controlling terminal.
    public static func terminal() throws(SystemError) -> OpenFile {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", path: "/dev/tty") }
        return OpenFile(fd)
    }

    /// A pipe: its reading and its writing end.
    public static func pipe() throws(SystemError) -> (read: OpenFile, write: OpenFile) {
        var fds: [Int32] = [0, 0]
        if strata_pipe_cloexec(&fds) != 0 { throw SystemError("create a pipe") }
        return (OpenFile(fds[0]), OpenFile(fds[1]))
    }
}
