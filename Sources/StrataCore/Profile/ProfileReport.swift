import StrataOS

/// `strata profile show` and `check`: a profile as strata reads it (every
/// default filled in), each setting with the layer keys it goes into, and
/// what `check` warns about without failing.
public struct ProfileReport: Sendable, Encodable {
    /// One setting's value.
    public enum Value: Sendable, Encodable, Equatable {
        case string(String)
        case bool(Bool)
        case number(Double)
        case strings([String])
        case table([String: String])

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .strings(let value): try container.encode(value)
            case .table(let value): try container.encode(value)
            }
        }
    }

    /// A setting, the layer keys it enters (base, update, deps, and
    /// "resolution" for the cached resolver answer), and how.
    public struct Setting: Sendable, Encodable {
        public var setting: String
        public var value: Value
        public var keys: [String]
        public var how: String?
    }

    public var name: String
    public var path: String
    public var settings: [Setting]
    /// What may stop a build on this host although the profile is valid.
    public var warnings: [String]

    static let layers = ["base", "update", "deps"]

    public init(_ profile: Profile) {
        name = profile.name
        path = profile.path
        var settings: [Setting] = []
        func add(_ setting: String, _ value: Value?, _ keys: [String], _ how: String? = nil) {
            if let value { settings.append(Setting(setting: setting, value: value, keys: keys, how: how)) }
        }
        let recipeKeys = profile.update == nil ? ["deps", "resolution"] : ["update", "deps", "resolution"]
        add("arch", .string(profile.arch), Self.layers.filter { $0 != "update" || profile.update != nil })
        add("cache_version", .number(Double(profile.cacheVersion)), Self.layers.filter { $0 != "update" || profile.update != nil })
        add("base.image", .string(profile.base.image), ["base"], "by the digest of the image's content, not by its name")
        if let update = profile.update {
            add("update.run", .string(update.run), ["update"], "the command text")
            add("update.state", .string(update.state), ["update"], "by what it prints, not by its text")
            add("update.max_age", update.maxAge.map { .string(Self.duration($0)) }, [], "when plan calls the update layer stale")
        }
        add("deps.resolve", .string(profile.deps.resolve), ["deps", "resolution"],
            "deps: by the resolved set it prints; resolution: the command text")
        add("deps.format", .string(profile.deps.format.rawValue), ["resolution"])
        add("deps.install", .string(profile.deps.install), ["deps"], "the command text")
        add("deps.inputs", profile.deps.inputs.map { .strings($0) }, ["resolution"],
            "by the digests of the files they match in the source")
        add("deps.incremental", .bool(profile.deps.incremental), [], "how a missed set is built, not what it holds")
        add("deps.max_chain", .number(Double(profile.deps.maxChain)), [])
        add("build.run", .string(profile.build.run), [])
        add("build.workdir", .string(profile.build.workdir), [])
        add("build.user", profile.build.user.map { .string($0) }, [])
        add("build.network", .bool(profile.build.network), [])
        add("build.output", .string(profile.build.output), [])
        add("build.userns", .bool(profile.build.userNamespace), [], "where commands run, not what a layer holds")
        if !profile.build.environment.isEmpty {
            add("build.env", .table(profile.build.environment), [], "the build command's environment only")
        }
        for (index, mount) in profile.mounts.enumerated() {
            let how = mount.kind == .input
                ? "by its target, readonly and the digest of its content; never its host path"
                : "by its target and readonly only; never its host path or content"
            add("mount[\(index + 1)]", .table(["source": mount.source, "target": mount.target,
                                                "readonly": String(mount.readonly), "kind": mount.kind.rawValue]),
                recipeKeys, how)
        }
        add("env", .table(profile.environment), recipeKeys, "every variable, in the recipes' environment")
        if let size = profile.gc.maxSize { add("gc.max_size", .string("\(size)B"), []) }
        if let age = profile.gc.maxAge { add("gc.max_age", .string(Self.duration(age)), []) }
        if let keep = profile.gc.keepLast { add("gc.keep_last", .number(Double(keep)), []) }
        self.settings = settings
        warnings = profile.mounts.enumerated().compactMap { index, mount in
            (try? FileStatus.ifExists(mount.source)) == nil
                ? "[[mount]] #\(index + 1): source \(mount.source) does not exist on this host; a build fails until it does (mkdir -p \(mount.source))"
                : nil
        }
    }

    /// Seconds as a duration the profile reads back: "86400s".
    private static func duration(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }

    /// The profile as TOML strata would read back to the same profile, each
    /// setting under a comment naming the keys it goes into.
    public var text: String {
        var lines = ["# \(path), as strata reads it (defaults filled in)",
                     "# A key holds its parent's key too: what changes the base or update key changes every layer above it.", ""]
        var currentTable: String?
        for setting in settings {
            let (table, key) = Self.split(setting.setting)
            if table != currentTable, let table {
                if !lines.last!.isEmpty { lines.append("") }
                lines.append(table.hasPrefix("mount[") ? "[[mount]]" : "[\(table)]")
                currentTable = table
            }
            let keys = setting.keys.isEmpty ? "in no key" : "in the \(Self.list(setting.keys)) key\(setting.keys.count > 1 ? "s" : "")"
            lines.append("# " + keys + (setting.how.map { ": " + $0 } ?? ""))
            switch setting.value {
            case .table(let entries):
                let order = table?.hasPrefix("mount[") == true ? ["source", "target", "readonly", "kind"] : entries.keys.sorted()
                for name in order {
                    guard let value = entries[name] else { continue }
                    let literal = name == "readonly" ? value : TOMLText.string(value)
                    lines.append("\(TOMLText.key(name)) = \(literal)")
                }
            default:
                lines.append("\(key) = \(TOMLText.value(setting.value))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// "a", "a and b", "a, b and c".
    private static func list(_ items: [String]) -> String {
        items.count < 2 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    /// "deps.install" → ("deps", "install"); "arch" → (nil, "arch"); "env" and
    /// "mount[1]" are tables of their own.
    private static func split(_ setting: String) -> (table: String?, key: String) {
        if setting == "env" || setting == "build.env" || setting.hasPrefix("mount[") { return (setting, "") }
        guard let dot = setting.firstIndex(of: ".") else { return (nil, setting) }
        return (String(setting[..<dot]), String(setting[setting.index(after: dot)...]))
    }
}

/// TOML literals for `ProfileReport.text`.
enum TOMLText {
    static func value(_ value: ProfileReport.Value) -> String {
        switch value {
        case .string(let text): string(text)
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .strings(let items): "[" + items.map(string).joined(separator: ", ") + "]"
        case .table(let entries): "{ " + entries.keys.sorted().map { "\(key($0)) = \(string(entries[$0]!))" }.joined(separator: ", ") + " }"
        }
    }

    /// A basic string, or a multi-line basic string when the text has newlines.
    static func string(_ text: String) -> String {
        guard text.contains("\n") else { return "\"" + escape(text, keepingNewlines: false) + "\"" }
        return "\"\"\"\n" + escape(text, keepingNewlines: true) + "\"\"\""
    }

    static func key(_ name: String) -> String {
        let bare = !name.isEmpty && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
        return bare ? name : string(name)
    }

    private static func escape(_ text: String, keepingNewlines: Bool) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n" where keepingNewlines: result += "\n"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
