import Crypto
import Glibc

/// Files of a source tree named by glob patterns relative to it, and the
/// digest of each: what a resolver reads (`[deps] inputs`).
public enum SourceFiles {
    /// The entries under `root` that `pattern` names: `*`, `?` and `[…]`
    /// match within one path component (fnmatch(3), a leading dot only
    /// explicitly); `**` matches any number of directories. Relative paths,
    /// sorted. Links to directories are not entered; a link itself can match.
    public static func matching(_ pattern: String, in root: String) throws(SystemError) -> [String] {
        let components = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var found: Set<String> = []
        try match(components[...], directory: "", root: root, into: &found)
        return found.sorted()
    }

    /// "sha256:<hex>" of a regular file's bytes, "link:<target>" for a link,
    /// "tree:sha256:<hex>" of a directory's whole content (`TreeDigest`),
    /// "other" for anything else. Never follows a final link.
    public static func digest(of relative: String, in root: String) throws(SystemError) -> String {
        let path = root + "/" + relative
        let status = try FileStatus(path: path)
        switch status.kind {
        case .regular:
            var hash = SHA256()
            try FileChunks.forEach(in: path) { chunk in hash.update(bufferPointer: chunk) }
            return "sha256:" + hash.finalize().map(hexByte).joined()
        case .symlink:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &buffer, buffer.count - 1)
            if count < 0 { throw SystemError("read link", path: path) }
            return "link:" + String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        case .directory:
            // Everything under it, as a layer's content is digested.
            return "tree:sha256:" + (try TreeDigest.digest(of: path))
        default:
            return "other"
        }
    }

    private static func match(_ rest: ArraySlice<String>, directory: String, root: String,
                              into found: inout Set<String>) throws(SystemError) {
        guard let head = rest.first else {
            if !directory.isEmpty { found.insert(directory) }
            return
        }
        let tail = rest.dropFirst()
        let here = directory.isEmpty ? root : root + "/" + directory
        func child(_ name: String) -> String { directory.isEmpty ? name : directory + "/" + name }
        if head == "**" {
            // Zero directories, then one more and "**" again.
            try match(tail, directory: directory, root: root, into: &found)
            for name in try entries(of: here) where !name.hasPrefix(".") {
                if try isDirectory(here + "/" + name) {
                    try match(rest, directory: child(name), root: root, into: &found)
                }
            }
            return
        }
        if !head.contains(where: { "*?[".contains($0) }) {
            guard try FileStatus.ifExists(here + "/" + head) != nil else { return }
            let isDirectory = try isDirectory(here + "/" + head)
            if tail.isEmpty || isDirectory {
                try match(tail, directory: child(head), root: root, into: &found)
            }
            return
        }
        for name in try entries(of: here) where fnmatch(head, name, FNM_PERIOD) == 0 {
            let isDirectory = try isDirectory(here + "/" + name)
            if tail.isEmpty || isDirectory {
                try match(tail, directory: child(name), root: root, into: &found)
            }
        }
    }

    private static func entries(of directory: String) throws(SystemError) -> [String] {
        guard try isDirectory(directory) else { return [] }
        return try directoryEntries(directory)
    }

    private static func isDirectory(_ path: String) throws(SystemError) -> Bool {
        try FileStatus.ifExists(path)?.kind == .directory
    }
}
