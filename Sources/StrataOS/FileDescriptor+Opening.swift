import SystemPackage

extension FileDescriptor {
    /// open(2), always close-on-exec, failing with a `SystemError` that names
    /// the path. The caller closes it (`closing`).
    static func opening(
        _ path: String, _ mode: AccessMode, options: OpenOptions = [], permissions: FilePermissions? = nil,
        operation: String = "open"
    ) throws(SystemError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(FilePath(path), mode, options: options.union(.closeOnExec),
                                           permissions: permissions, retryOnInterrupt: true)
        } catch let code as Errno {
            throw SystemError(operation, path: path, errno: code)
        } catch {
            throw SystemError(operation, path: path, errno: .ioError)
        }
    }

    /// Runs `body` with the descriptor, then closes it whatever happened.
    func closing<Result>(_ body: (FileDescriptor) throws(SystemError) -> Result) throws(SystemError) -> Result {
        defer { try? close() }
        return try body(self)
    }
}
