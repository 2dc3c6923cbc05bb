/// The rules a profile's values must follow beyond their TOML types, as pure
/// functions: each returns what is wrong (for the parser to place at a file
/// and line), or nil.
enum ProfileRules {
    /// Architecture names as the kernel (`uname -m`) and the distributions
    /// (Debian, Fedora, Arch, Solus) spell them.
    static let architectures: Set<String> = [
        "x86_64", "amd64", "i386", "i486", "i586", "i686", "x86", "aarch64", "arm64", "armhf", "armel",
        "armv5tel", "armv6l", "armv6hl", "armv7l", "armv7hl", "riscv64", "ppc64", "ppc64le", "ppc64el",
        "ppc", "powerpc", "s390x", "mips64el", "mipsel", "mips", "loongarch64", "loong64", "sparc64",
        "alpha", "hppa", "m68k", "sh4", "ia64",
    ]

    /// Where a bind mount or the output may never be: the root itself, the
    /// kernel's file systems and the source strata binds read-only.
    private static let reserved = ["/proc", "/sys", "/dev", "/build/src"]

    /// An absolute, normalised path inside the root that is not `/` and not
    /// at or under `/proc`, `/sys`, `/dev` (and, unless `allowSource`,
    /// `/build/src`). Returns what is wrong.
    static func pathProblem(_ path: String, allowSource: Bool = false) -> String? {
        guard path.hasPrefix("/") else { return "must be an absolute path (starting with /)" }
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if components.contains("..") { return "must not contain '..'" }
        if components.contains(".") || (components.contains("") && path != "/") {
            return "must be normalised (no '.', '//' or trailing '/'): write \(normalised(path))"
        }
        if path == "/" { return "must not be / (the whole root)" }
        for prefix in reserved where !(allowSource && prefix == "/build/src") {
            if path == prefix || path.hasPrefix(prefix + "/") {
                return "must not be at or under \(prefix), which strata mounts itself"
            }
        }
        return nil
    }

    /// A `[deps] inputs` pattern: relative to the source, normalised, with
    /// no '..'. Returns what is wrong.
    static func inputPatternProblem(_ pattern: String) -> String? {
        if pattern.isEmpty { return "is empty" }
        if pattern.hasPrefix("/") { return "must be relative to the source (no leading /)" }
        let components = pattern.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") { return "must not contain '..': the resolver sees the source only" }
        if components.contains(".") || components.contains("") { return "must be normalised (no '.', '//' or trailing '/')" }
        return nil
    }

    /// `text` with control characters written as escapes, for messages.
    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func normalised(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    /// An image name as `strata image import` takes it: letters, digits,
    /// '.', '_' and '-', not starting with '.' or '-' (it names a directory and a lock file).
    static func imageNameProblem(_ name: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard let first = name.first, first != ".", first != "-", name.allSatisfy({ allowed.contains($0) }) else {
            return "is not a valid image name: use letters, digits, '.', '_' and '-', not starting with '.' or '-'"
        }
        return nil
    }

    /// The portable user name rule (useradd's default): `[a-z_][a-z0-9_-]*`, at most 32.
    static func userNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return "must not be empty" }
        let lower = UInt8(ascii: "a")...UInt8(ascii: "z")
        let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard lower.contains(first) || first == UInt8(ascii: "_") else {
            return "must start with a lowercase letter or '_'"
        }
        guard bytes.allSatisfy({ lower.contains($0) || digit.contains($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) else {
            return "may hold only lowercase letters, digits, '_' and '-'"
        }
        return bytes.count > 32 ? "must be at most 32 characters" : nil
    }

    /// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    static func variableNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        func letter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
        guard let first = bytes.first, letter(first),
              bytes.allSatisfy({ letter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return "is not a valid variable name (letters, digits and '_', not starting with a digit)"
        }
        return nil
    }

    /// Bounds on `[env]`: one value, and all of them together. The kernel
    /// refuses any single argument or variable over 128 KiB at exec.
    static let maximumValueBytes = 32 * 1024
    static let maximumEnvironmentBytes = 96 * 1024

    /// The 1-based line and column of the first byte that is not valid UTF-8, or nil.
    static func invalidUTF8(_ bytes: [UInt8]) -> (line: Int, column: Int)? {
        var index = 0
        var line = 1
        var lineStart = 0
        while index < bytes.count {
            let byte = bytes[index]
            let length: Int
            switch byte {
            case 0x00...0x7f: length = 1
            case 0xc2...0xdf: length = 2
            case 0xe0...0xef: length = 3
            case 0xf0...0xf4: length = 4
            default: return (line, index - lineStart + 1)
            }
            guard index + length <= bytes.count else { return (line, index - lineStart + 1) }
            for offset in 1..<length where bytes[index + offset] & 0xc0 != 0x80 {
                return (line, index - lineStart + 1)
            }
            if length > 1, String(validating: bytes[index..<index + length], as: UTF8.self) == nil {
                return (line, index - lineStart + 1)
            }
            if byte == 0x0a {
                line += 1
                lineStart = index + 1
            }
            index += length
        }
        return nil
    }
}
