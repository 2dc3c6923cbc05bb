import StrataOS
import TOMLKit

/// Finds profiles by name and reads them. Unknown keys, wrong types and
/// malformed TOML are errors that name the file and the line.
public struct ProfileLoader: Sendable {
    /// Directories searched for NAME.toml, in order.
    public var searchPath: [String]

    public init(searchPath: [String]) { self.searchPath = searchPath }

    /// /etc/strata/profiles, for a user other than root then
    /// $XDG_CONFIG_HOME/strata/profiles (~/.config/strata/profiles), then
    /// each directory of STRATA_PROFILE_PATH.
    public static func standard(environment: [String: String], privilege: Privilege = Host.privilege) -> ProfileLoader {
        let extra = (environment["STRATA_PROFILE_PATH"] ?? "").split(separator: ":").map(String.init)
        var user: [String] = []
        if privilege == .rootless {
            if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
                user = [config + "/strata/profiles"]
            } else if let home = environment["HOME"] {
                user = [home + "/.config/strata/profiles"]
            }
        }
        return ProfileLoader(searchPath: ["/etc/strata/profiles"] + user + extra)
    }

    /// A value containing "/" or ending in ".toml" is a file path; anything
    /// else is a name looked up in the search path.
    public func load(_ reference: String) throws(StrataError) -> Profile {
        var profile = try find(reference)
        profile.reference = reference
        return profile
    }

    private func find(_ reference: String) throws(StrataError) -> Profile {
        if reference.contains("/") || reference.hasSuffix(".toml") {
            let name = String(reference.split(separator: "/").last ?? "")
            return try Self.read(path: reference, name: name.hasSuffix(".toml") ? String(name.dropLast(5)) : name)
        }
        for directory in searchPath {
            let candidate = directory + "/" + reference + ".toml"
            if (try? FileStatus.ifExists(candidate)) != nil {
                return try Self.read(path: candidate, name: reference)
            }
        }
        let searched = searchPath.joined(separator: ", ")
        throw .input("profile '\(reference)' not found in \(searched); put \(reference).toml in one of them, add its directory to STRATA_PROFILE_PATH, or pass a path")
    }

    static func read(path: String, name: String) throws(StrataError) -> Profile {
        try ProfileParser(text: try text(of: path, what: "profile"), path: path, name: name).parse()
    }

    /// The limits of a gc configuration file (`strata gc --config`): a
    /// [gc] table as in a profile, errors with the file and the line.
    public static func gcPolicy(configuration path: String) throws(StrataError) -> GCPolicy {
        try ProfileParser(text: try text(of: path, what: "gc configuration"), path: path, name: "").parseGCConfiguration()
    }

    private static func text(of path: String, what: String) throws(StrataError) -> String {
        let bytes: [UInt8]
        do { bytes = try FileTree.readFile(path) } catch {
            throw .input("cannot read \(what) \(path): \(error.errno.description); check the path and that it is a readable file")
        }
        if let (line, column) = ProfileRules.invalidUTF8(bytes) {
            throw .input("\(path):\(line):\(column): this byte is not valid UTF-8; a \(what) (TOML) must be UTF-8 text: re-save it as UTF-8")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
