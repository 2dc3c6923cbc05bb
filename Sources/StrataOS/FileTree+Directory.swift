import Glibc

extension FileTree {
    /// mkdir(2). With `existingOK`, a directory already there is fine (but
    /// not a file or a symlink).
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755, existingOK: Bool = false) throws(SystemError) {
        if mkdir(path, mode) == 0 { return }
        let code = errno
        if code == EEXIST && existingOK, (try? FileStatus(path: path))?.kind == .directory { return }
        throw SystemError("create directory", path: path, errno: code)
    }
}
