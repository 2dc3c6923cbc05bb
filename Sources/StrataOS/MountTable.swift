import CMount

/// One line of the mount table.
public struct MountEntry: Sendable, Hashable {
    public let target: String
    public let source: String
    public let fileSystemType: String
    public let options: String
}

/// The calling process's mount table, read and parsed by libmount from
/// /proc/self/mountinfo.
public enum MountTable {
    public static func current(path: String = "/proc/self/mountinfo") throws(SystemError) -> [MountEntry] {
        let table = try LibmountTable(path: path)
        return table.entries()
    }

    /// Mounts at `directory` or below it, deepest first (the order to unmount in).
    public static func entries(under directory: String) throws(SystemError) -> [MountEntry] {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return try current()
            .filter { $0.target == directory || $0.target.hasPrefix(prefix) }
            .reversed()
    }
}

/// Owns one libmount table handle.
private final class LibmountTable {
    private let handle: OpaquePointer

    init(path: String) throws(SystemError) {
        guard let table = mnt_new_table_from_file(path) else {
            throw SystemError("read the mount table with libmount", path: path)
        }
        handle = table
    }

    deinit { mnt_unref_table(handle) }

    func entries() -> [MountEntry] {
        guard let iterator = mnt_new_iter(Int32(MNT_ITER_FORWARD)) else { return [] }
        defer { mnt_free_iter(iterator) }
        var result: [MountEntry] = []
        var fs: OpaquePointer?
        while mnt_table_next_fs(handle, iterator, &fs) == 0, let fs {
            result.append(MountEntry(
                target: string(mnt_fs_get_target(fs)),
                source: string(mnt_fs_get_source(fs)),
                fileSystemType: string(mnt_fs_get_fstype(fs)),
                options: string(mnt_fs_get_options(fs))
            ))
        }
        return result
    }

    private func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }
}
