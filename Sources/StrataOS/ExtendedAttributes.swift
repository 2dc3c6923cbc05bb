import CStrataSpawn
import Glibc

/// Extended attributes of one path, never following a symlink.
public enum ExtendedAttributes {
    public typealias Attribute = (name: String, value: [UInt8])

    /// Every attribute, sorted by name.
    public static func read(_ path: String) throws(SystemError) -> [Attribute] {
        try read(entry: Array(path.utf8CString), path: path)
    }

    /// Of the entry `entry` names (llistxattr, lgetxattr): a symlink's own.
    static func read(entry: [CChar], path: @autoclosure () -> String) throws(SystemError) -> [Attribute] {
        try read(path: path, list: { llistxattr(entry, $0, $1) }, get: { lgetxattr(entry, $0, $1, $2) })
    }

    /// Of an open file or directory (flistxattr, fgetxattr).
    static func read(descriptor fd: Int32, path: @autoclosure () -> String) throws(SystemError) -> [Attribute] {
        try read(path: path, list: { flistxattr(fd, $0, $1) }, get: { fgetxattr(fd, $0, $1, $2) })
    }

    /// Names are listed, then sorted by their UTF-8 spelling; each value is
    /// read with the name's own bytes.
    private static func read(
        path: () -> String,
        list: (UnsafeMutablePointer<CChar>?, Int) -> Int,
        get: (UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    ) throws(SystemError) -> [Attribute] {
        let size = list(nil, 0)
        if size < 0 {
            if errno == ENOTSUP { return [] }
            throw SystemError("list extended attributes", path: path())
        }
        if size == 0 { return [] }
        var names = [CChar](repeating: 0, count: size)
        let listed = names.withUnsafeMutableBufferPointer { list($0.baseAddress, size) }
        if listed < 0 { throw SystemError("list extended attributes", path: path()) }
        let all = names[0..<listed].split(separator: 0).map { raw in
            (text: String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self), cString: Array(raw) + [0])
        }
        var result: [Attribute] = []
        for name in all.sorted(by: { $0.text < $1.text }) {
            let length = get(name.cString, nil, 0)
            if length < 0 { throw SystemError("read extended attribute \(name.text)", path: path()) }
            var value = [UInt8](repeating: 0, count: length)
            let got = value.withUnsafeMutableBytes { get(name.cString, $0.baseAddress, $0.count) }
            if got < 0 { throw SystemError("read extended attribute \(name.text)", path: path()) }
            result.append((name.text, Array(value[0..<got])))
        }
        return result
    }
}

extension ExtendedAttributes {
    /// Sets one attribute, never following a symlink.
    public static func set(_ name: String, to value: [UInt8], on path: String) throws(SystemError) {
        try set(name, to: value, entry: Array(path.utf8CString), path: path)
    }

    /// lsetxattr(2) on the entry `entry` names.
    static func set(_ name: String, to value: [UInt8], entry: [CChar], path: @autoclosure () -> String) throws(SystemError) {
        let result = value.withUnsafeBytes { lsetxattr(entry, name, $0.baseAddress, $0.count, 0) }
        if result != 0 { throw SystemError("set extended attribute \(name)", path: path()) }
    }

    /// fsetxattr(2) on an open file or directory.
    static func set(_ name: String, to value: [UInt8], descriptor fd: Int32, path: @autoclosure () -> String) throws(SystemError) {
        let result = value.withUnsafeBytes { fsetxattr(fd, name, $0.baseAddress, $0.count, 0) }
        if result != 0 { throw SystemError("set extended attribute \(name)", path: path()) }
    }
}
