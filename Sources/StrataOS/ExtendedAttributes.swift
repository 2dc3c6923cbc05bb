import CStrataSpawn
import Glibc

/// Extended attributes of one path, never following a symlink.
public enum ExtendedAttributes {
    /// Every attribute, sorted by name.
    public static func read(_ path: String) throws(SystemError) -> [(name: String, value: [UInt8])] {
        let size = llistxattr(path, nil, 0)
        if size < 0 {
            if errno == ENOTSUP { return [] }
            throw SystemError("list extended attributes", path: path)
        }
        if size == 0 { return [] }
        var names = [CChar](repeating: 0, count: size)
        let listed = llistxattr(path, &names, size)
        if listed < 0 { throw SystemError("list extended attributes", path: path) }
        let all = names[0..<listed].split(separator: 0).map {
            String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        var result: [(name: String, value: [UInt8])] = []
        for name in all.sorted() {
            let length = lgetxattr(path, name, nil, 0)
            if length < 0 { throw SystemError("read extended attribute \(name)", path: path) }
            var value = [UInt8](repeating: 0, count: length)
            let got = value.withUnsafeMutableBytes { lgetxattr(path, name, $0.baseAddress, $0.count) }
            if got < 0 { throw SystemError("read extended attribute \(name)", path: path) }
            result.append((name, Array(value[0..<got])))
        }
        return result
    }
}

extension ExtendedAttributes {
    /// Sets one attribute, never following a symlink.
    public static func set(_ name: String, to value: [UInt8], on path: String) throws(SystemError) {
        let result = value.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, $0.count, 0) }
        if result != 0 { throw SystemError("set extended attribute \(name)", path: path) }
    }
}
