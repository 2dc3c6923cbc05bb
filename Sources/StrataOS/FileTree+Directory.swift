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

    /// unlink(2) of one file, link or lock file. With `missingOK`, a path
    /// that is already gone is fine.
    public static func removeFile(_ path: String, missingOK: Bool = true) throws(SystemError) {
        if unlink(path) == 0 { return }
        let code = errno
        if code == ENOENT && missingOK { return }
        throw SystemError("remove", path: path, errno: code)
    }

    /// Removes a directory only when it is empty, or a file (a mount point
    /// made for a file). A directory that is not empty stays, silently: it
    /// holds what something else put there.
    public static func removeIfEmpty(_ path: String) {
        if rmdir(path) != 0 && errno == ENOTDIR { _ = unlink(path) }
    }
}
