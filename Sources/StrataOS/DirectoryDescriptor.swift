import Glibc

/// One name in a directory as the kernel returned it: bytes that need not be
/// UTF-8, kept NUL-terminated for the *at(2) calls, with the lossy UTF-8
/// spelling (U+FFFD for each invalid byte) that sorting and digests use.
struct EntryName {
    /// The bytes and a final NUL.
    let cString: [CChar]
    let text: String

    init(_ text: String) {
        cString = Array(text.utf8CString)
        self.text = text
    }

    init(bytes: UnsafeRawBufferPointer) {
        cString = bytes.map { CChar(bitPattern: $0) } + [0]
        text = String(decoding: bytes, as: UTF8.self)
    }

    /// Several names joined by "/": a relative path, for the one call that
    /// takes one (a hard link's first copy, reached in a few steps).
    init(joining names: ArraySlice<EntryName>) {
        var joined: [CChar] = []
        for name in names {
            if !joined.isEmpty { joined.append(CChar(UInt8(ascii: "/"))) }
            joined += name.cString.dropLast()
        }
        joined.append(0)
        cString = joined
        text = names.map(\.text).joined(separator: "/")
    }

    /// Bytes of the name, without the NUL.
    var byteCount: Int { cString.count - 1 }
}

/// An open directory whose entries every call names relative to it, so no
/// path handed to the kernel is longer than one name, whatever the depth.
/// Closed when released. The working directory (AT_FDCWD) stands for the
/// parent of a walk's top: its one "name" is then the top's own path.
final class DirectoryDescriptor {
    let fd: Int32
    private let owned: Bool

    private init(fd: Int32, owned: Bool) {
        self.fd = fd
        self.owned = owned
    }

    deinit { if owned { close(fd) } }

    static func workingDirectory() -> DirectoryDescriptor { DirectoryDescriptor(fd: AT_FDCWD, owned: false) }

    /// openat(2) with O_DIRECTORY | O_NOFOLLOW: a symlink is refused, not followed.
    func openDirectory(_ name: EntryName, path: @autoclosure () -> String) throws(SystemError) -> DirectoryDescriptor {
        let child = try call("open directory", path) { openat(fd, name.cString, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        return DirectoryDescriptor(fd: child, owned: true)
    }

    /// openat(fd, ".."): the parent, to climb back to an ancestor whose descriptor was closed.
    func parent(path: @autoclosure () -> String) throws(SystemError) -> DirectoryDescriptor {
        let parent = try call("open parent directory", path) { openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        return DirectoryDescriptor(fd: parent, owned: true)
    }

    /// fstatat(2) with AT_SYMLINK_NOFOLLOW.
    func status(of name: EntryName, path: @autoclosure () -> String) throws(SystemError) -> FileStatus {
        var buffer = stat()
        try call("lstat", path) { fstatat(fd, name.cString, &buffer, AT_SYMLINK_NOFOLLOW) }
        return FileStatus(raw: buffer)
    }

    /// fstat(2) of the directory itself.
    func status(path: @autoclosure () -> String) throws(SystemError) -> FileStatus {
        var buffer = stat()
        try call("stat", path) { fstat(fd, &buffer) }
        return FileStatus(raw: buffer)
    }

    /// The names in the directory but "." and "..", through fdopendir(3) on
    /// a duplicate; with `sorted`, in the order of their UTF-8 spelling.
    func entryNames(sorted: Bool, path: @autoclosure () -> String) throws(SystemError) -> [EntryName] {
        let names = try entries(path: path()).map(\.name)
        return sorted ? names.sorted { $0.text < $1.text } : names
    }

    /// The entries but "." and "..", in the order the kernel gives them, each
    /// with the file type its directory entry records (DT_DIR, DT_REG, …;
    /// DT_UNKNOWN where the file system records none).
    func entries(path: @autoclosure () -> String) throws(SystemError) -> [(name: EntryName, type: UInt8)] {
        let duplicate = try call("duplicate descriptor", path) { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
        guard let stream = fdopendir(duplicate) else {
            let code = errno
            close(duplicate)
            throw SystemError("open directory", path: path(), errno: code)
        }
        defer { closedir(stream) }
        // The duplicate shares the offset: start from the first entry.
        rewinddir(stream)
        var found: [(name: EntryName, type: UInt8)] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemError("read directory", path: path()) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> EntryName? in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[..<(raw.firstIndex(of: 0) ?? raw.count)])
                let dots = bytes.allSatisfy { $0 == UInt8(ascii: ".") }
                return dots && bytes.count <= 2 ? nil : EntryName(bytes: bytes)
            }
            if let name { found.append((name, entry.pointee.d_type)) }
        }
        return found
    }

    /// readlinkat(2): the target's bytes.
    func readLink(_ name: EntryName, path: @autoclosure () -> String) throws(SystemError) -> [UInt8] {
        let capacity = Int(PATH_MAX)
        var buffer = [CChar](repeating: 0, count: capacity + 1)
        let length = try call("read symlink", path) { readlinkat(fd, name.cString, &buffer, capacity) }
        return buffer[0..<length].map { UInt8(bitPattern: $0) }
    }

    /// openat(2) of a file, closed when `body` returns.
    func withFile<Result>(
        _ name: EntryName, flags: Int32, mode: mode_t = 0, path: @autoclosure () -> String,
        _ body: (Int32) throws(SystemError) -> Result
    ) throws(SystemError) -> Result {
        let file = try call(flags & O_CREAT != 0 ? "create" : "open", path) { openat(fd, name.cString, flags, mode) }
        defer { close(file) }
        return try body(file)
    }

    /// unlinkat(2); with `directory`, AT_REMOVEDIR.
    func remove(_ name: EntryName, directory: Bool, path: @autoclosure () -> String) throws(SystemError) {
        try call(directory ? "remove directory" : "remove", path) { unlinkat(fd, name.cString, directory ? AT_REMOVEDIR : 0) }
    }

    /// mkdirat(2).
    func makeDirectory(_ name: EntryName, mode: mode_t, path: @autoclosure () -> String) throws(SystemError) {
        try call("create directory", path) { mkdirat(fd, name.cString, mode) }
    }

    /// fchmodat(2) with AT_SYMLINK_NOFOLLOW.
    func changeMode(of name: EntryName, to mode: mode_t, path: @autoclosure () -> String) throws(SystemError) {
        try call("change mode", path) { fchmodat(fd, name.cString, mode, AT_SYMLINK_NOFOLLOW) }
    }

    /// fchmod(2) of the directory itself.
    func changeMode(to mode: mode_t, path: @autoclosure () -> String) throws(SystemError) {
        try call("change mode", path) { fchmod(fd, mode) }
    }

    /// A path that names the entry itself for the l*xattr(2) calls, which
    /// have no *at form: /proc/self/fd/N/NAME, short at any depth.
    func attributePath(of name: EntryName) -> [CChar] {
        if fd == AT_FDCWD { return name.cString }
        return Array("/proc/self/fd/\(fd)/".utf8CString.dropLast()) + name.cString
    }

    /// Runs `body` again after EINTR; on any other failure throws `operation` on `path`.
    @discardableResult
    private func call<Result: BinaryInteger>(
        _ operation: String, _ path: () -> String, _ body: () -> Result
    ) throws(SystemError) -> Result {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemError(operation, path: path(), errno: code)
        }
    }
}
