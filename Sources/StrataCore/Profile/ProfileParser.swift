import StrataOS
import TOMLKit

/// Turns the text of a profile into a `Profile`, checking every key.
struct ProfileParser {
    let text: String
    let path: String
    let name: String

    private static let sections: [String: Set<String>] = [
        "base": ["image"],
        "update": ["run", "state", "max_age"],
        "deps": ["resolve", "format", "install", "inputs", "incremental", "max_chain"],
        "build": ["run", "workdir", "user", "network", "output", "userns", "env"],
        "mount": ["source", "target", "readonly", "kind"],
        "gc": ["max_size", "max_age", "keep_last"],
    ]
    private static let topLevel: Set<String> = ["arch", "cache_version", "base", "update", "deps", "build", "mount", "env", "gc"]

    func parse() throws(StrataError) -> Profile {
        let table = try parsedTable()
        let lines = KeyLines(text: text)
        for key in table.keys where !Self.topLevel.contains(key) {
            throw unknown(key, in: nil, lines.line(ofKey: key, in: nil) ?? lines.line(ofTable: key))
        }
        let arch = try string(table, "arch", in: nil, lines) ?? Self.hostArchitecture()
        if table["arch"] != nil, !ProfileRules.architectures.contains(arch) {
            throw located("arch '\(arch)' is not an architecture name strata knows; write one such as x86_64, aarch64, riscv64 or amd64, or leave arch out for the host's (\(Self.hostArchitecture()))",
                          lines.line(ofKey: "arch", in: nil))
        }
        let cacheVersion = try int(table, "cache_version", in: nil, lines) ?? 0

        let baseTable = try requiredSection(table, "base", lines)
        let base = Profile.Base(image: try requiredString(baseTable, "image", in: "base", lines))
        if let problem = ProfileRules.imageNameProblem(base.image) {
            throw located("base.image '\(ProfileRules.escaped(base.image))' \(problem)", lines.line(ofKey: "image", in: "base"))
        }

        var update: Profile.Update?
        if let updateTable = try section(table, "update", lines, required: false) {
            var maxAge: Double?
            if let text = try string(updateTable, "max_age", in: "update", lines) {
                guard let seconds = Quantity.seconds(text) else {
                    throw located("update.max_age '\(text)' is not a duration; write e.g. \"1d\", \"12h\" or \"2w\"",
                                  lines.line(ofKey: "max_age", in: "update"))
                }
                maxAge = seconds
            }
            update = Profile.Update(
                run: try requiredString(updateTable, "run", in: "update", lines),
                state: try requiredString(updateTable, "state", in: "update", lines),
                maxAge: maxAge)
        }

        let depsTable = try requiredSection(table, "deps", lines)
        let formatName = try string(depsTable, "format", in: "deps", lines) ?? "lines"
        guard let format = ResolverFormat(rawValue: formatName) else {
            throw located("deps.format must be \"lines\" or \"json\", not \"\(formatName)\"",
                          lines.line(ofKey: "format", in: "deps"))
        }
        var deps = Profile.Deps(
            resolve: try requiredString(depsTable, "resolve", in: "deps", lines),
            format: format,
            install: try requiredString(depsTable, "install", in: "deps", lines))
        if let patterns = try strings(depsTable, "inputs", in: "deps", lines) {
            for pattern in patterns {
                if let problem = ProfileRules.inputPatternProblem(pattern) {
                    throw located("deps.inputs '\(ProfileRules.escaped(pattern))' \(problem)", lines.line(ofKey: "inputs", in: "deps"))
                }
            }
            guard !patterns.isEmpty else {
                throw located("deps.inputs is empty: list the files the resolver reads (such as [\"debian/control\"]), or leave the key out", lines.line(ofKey: "inputs", in: "deps"))
            }
            deps.inputs = patterns
        }
        deps.incremental = try bool(depsTable, "incremental", in: "deps", lines) ?? false
        if let maxChain = try int(depsTable, "max_chain", in: "deps", lines) {
            guard (1...16).contains(maxChain) else {
                throw located("deps.max_chain must be between 1 and 16 (how many deps layers an incremental stack may hold; every one is a lower of the overlay, whose options the kernel takes in one page)", lines.line(ofKey: "max_chain", in: "deps"))
            }
            deps.maxChain = maxChain
        }

        let buildTable = try requiredSection(table, "build", lines)
        var build = Profile.Build(run: try requiredString(buildTable, "run", in: "build", lines))
        if let workdir = try pathInRoot(buildTable, "workdir", in: "build", lines, allowSource: true) { build.workdir = workdir }
        build.user = try string(buildTable, "user", in: "build", lines)
        if let user = build.user, let problem = ProfileRules.userNameProblem(user) {
            throw located("build.user '\(ProfileRules.escaped(user))' \(problem) (the portable user name rule)", lines.line(ofKey: "user", in: "build"))
        }
        build.network = try bool(buildTable, "network", in: "build", lines) ?? false
        build.userNamespace = try bool(buildTable, "userns", in: "build", lines) ?? true
        if let output = try pathInRoot(buildTable, "output", in: "build", lines) { build.output = output }
        build.environment = try variables(buildTable["env"], named: "build.env", lines)

        var mounts: [Profile.BindMount] = []
        if let value = table["mount"] {
            guard let array = value.array else {
                throw located("mount must be an array of tables: write each as [[mount]]", lines.line(ofTable: "mount") ?? lines.line(ofKey: "mount", in: nil))
            }
            for (index, element) in array.enumerated() {
                guard let entry = element.table else {
                    throw located("each mount must be a table with source and target", lines.line(ofTable: "mount"))
                }
                let context = "mount"
                try checkKeys(entry, allowed: Self.sections["mount"] ?? [], in: context, index: index, lines)
                let source = try requiredString(entry, "source", in: context, lines, index: index)
                let target = try requiredString(entry, "target", in: context, lines, index: index)
                guard source.hasPrefix("/") else {
                    throw located("[[mount]] #\(index + 1): source must be an absolute path",
                                  lines.line(ofKey: "source", in: context, index: index))
                }
                if let problem = ProfileRules.pathProblem(target) {
                    throw located("[[mount]] #\(index + 1): target '\(target)' \(problem)",
                                  lines.line(ofKey: "target", in: context, index: index))
                }
                if mounts.contains(where: { $0.target == target }) {
                    throw located("[[mount]] #\(index + 1): target \(target) is mounted twice; keep one entry",
                                  lines.line(ofKey: "target", in: context, index: index))
                }
                let readonly = try bool(entry, "readonly", in: context, lines, index: index) ?? false
                var kind: Profile.MountKind?
                if let name = try string(entry, "kind", in: context, lines, index: index) {
                    guard let parsed = Profile.MountKind(rawValue: name) else {
                        throw located("mount.kind must be \"input\" or \"cache\", not \"\(name)\"",
                                      lines.line(ofKey: "kind", in: context, index: index))
                    }
                    guard parsed == .cache || readonly else {
                        throw located("[[mount]] #\(index + 1) (\(target)): kind = \"input\" needs readonly = true: a recipe that writes into a mount changes its content, so it cannot be an input; make it readonly, or kind = \"cache\" if its content never changes what a layer holds",
                                      lines.line(ofKey: "kind", in: context, index: index))
                    }
                    kind = parsed
                }
                mounts.append(Profile.BindMount(source: source, target: target, readonly: readonly, kind: kind))
            }
        }

        let environment = try variables(table["env"], named: "env", lines)
        if let inside = mounts.first(where: { build.output == $0.target || build.output.hasPrefix($0.target + "/") }) {
            throw located("build.output \(build.output) is \(build.output == inside.target ? "" : "inside ")the [[mount]] at \(inside.target), a host directory; the output must be a directory of the root itself",
                          lines.line(ofKey: "output", in: "build") ?? lines.line(ofTable: "build"))
        }

        var profile = Profile(name: name, path: path, arch: arch, cacheVersion: cacheVersion, base: base,
                              update: update, deps: deps, build: build, mounts: mounts, environment: environment)
        if let gcTable = try section(table, "gc", lines, required: false) {
            profile.gc = try gcPolicy(gcTable, lines)
        }
        return profile
    }

    /// A table of environment variables (`[env]`, `[build.env]`): names as
    /// a shell takes them, values strings within the size limits.
    private func variables(_ value: TOMLValueConvertible?, named name: String, _ lines: KeyLines) throws(StrataError) -> [String: String] {
        guard let value else { return [:] }
        // Where the table itself is named: "env" at the top, "env" in [build].
        let dot = name.lastIndex(of: ".")
        let context = dot.map { String(name[..<$0]) }
        let key = dot.map { String(name[name.index(after: $0)...]) } ?? name
        guard let table = value.table else {
            throw located("\(name) must be a table: [\(name)] with NAME = \"value\" lines", lines.line(ofKey: key, in: context) ?? lines.line(ofTable: name))
        }
        var environment: [String: String] = [:]
        var total = 0
        for variable in table.keys {
            let line = lines.line(ofKey: variable, in: name) ?? lines.line(ofKey: key, in: context)
            if let problem = ProfileRules.variableNameProblem(variable) {
                throw located("\(name) key '\(ProfileRules.escaped(variable))' \(problem)", line)
            }
            guard let string = try string(table, variable, in: name, lines) else { continue }
            let size = string.utf8.count
            guard size <= ProfileRules.maximumValueBytes else {
                throw located("\(name).\(variable) is \(size) bytes; a value may be at most \(ProfileRules.maximumValueBytes / 1024) KiB (pass large data in a file through a [[mount]])", line)
            }
            total += variable.utf8.count + size + 2
            guard total <= ProfileRules.maximumEnvironmentBytes else {
                throw located("[\(name)] holds more than \(ProfileRules.maximumEnvironmentBytes / 1024) KiB in all (at \(name).\(variable)); pass large data in a file through a [[mount]]", line)
            }
            environment[variable] = string
        }
        return environment
    }

    private func gcPolicy(_ table: TOMLTable, _ lines: KeyLines) throws(StrataError) -> GCPolicy {
        var policy = GCPolicy()
        if let text = try string(table, "max_size", in: "gc", lines) {
            guard let bytes = Quantity.bytes(text) else {
                throw located("gc.max_size '\(text)' is not a size; write e.g. \"20G\" or \"500M\"", lines.line(ofKey: "max_size", in: "gc"))
            }
            policy.maxSize = bytes
        }
        if let text = try string(table, "max_age", in: "gc", lines) {
            guard let seconds = Quantity.seconds(text) else {
                throw located("gc.max_age '\(text)' is not a duration; write e.g. \"30d\", \"12h\" or \"90m\"", lines.line(ofKey: "max_age", in: "gc"))
            }
            policy.maxAge = seconds
        }
        policy.keepLast = try int(table, "keep_last", in: "gc", lines)
        return policy
    }

    /// A gc configuration (`strata gc --config`, /etc/strata/gc.conf): one
    /// [gc] table, with the keys and values of a profile's.
    func parseGCConfiguration() throws(StrataError) -> GCPolicy {
        let table = try parsedTable()
        let lines = KeyLines(text: text)
        for key in table.keys where key != "gc" {
            throw located("unknown key '\(key)'; a gc configuration holds one [gc] table (max_size, max_age, keep_last)",
                          lines.line(ofKey: key, in: nil) ?? lines.line(ofTable: key))
        }
        let policy = try gcPolicy(try requiredSection(table, "gc", lines), lines)
        if policy.isEmpty { throw located("[gc] sets no limit; give max_size, max_age or keep_last", lines.line(ofTable: "gc")) }
        return policy
    }

    /// The TOML table of the text, with errors located in the file.
    private func parsedTable() throws(StrataError) -> TOMLTable {
        // The TOML library hands strings over as C strings, which end at a
        // NUL: an escaped NUL would silently cut a value short. Refuse it here.
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lowered = line.lowercased()
            if lowered.contains("\\u0000") || lowered.contains("\\u00000000") {
                throw located("a string contains an escaped NUL character (\\u0000), which no command, path or variable can hold; remove it", offset + 1)
            }
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .input("\(path):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        } catch {
            throw located("\(error)", nil)
        }
        return table
    }

    // MARK: - Typed access with located errors

    private func requiredSection(_ table: TOMLTable, _ key: String, _ lines: KeyLines) throws(StrataError) -> TOMLTable {
        guard let sub = try section(table, key, lines, required: true) else { throw located("missing [\(key)] table; add it", lines.lastLine) }
        return sub
    }

    private func section(_ table: TOMLTable, _ key: String, _ lines: KeyLines, required: Bool) throws(StrataError) -> TOMLTable? {
        guard let value = table[key] else {
            if required { throw located("missing [\(key)] table; add it (see Docs/profiles.md)", lines.lastLine) }
            return nil
        }
        guard let sub = value.table else {
            throw located("\(key) must be a table: write it as [\(key)]", lines.line(ofKey: key, in: nil) ?? lines.line(ofTable: key))
        }
        try checkKeys(sub, allowed: Self.sections[key] ?? [], in: key, index: nil, lines)
        return sub
    }

    private func checkKeys(_ table: TOMLTable, allowed: Set<String>, in context: String, index: Int?, _ lines: KeyLines) throws(StrataError) {
        for key in table.keys where !allowed.contains(key) {
            throw unknown(key, in: context, lines.line(ofKey: key, in: context, index: index))
        }
    }

    private func unknown(_ key: String, in context: String?, _ line: Int?) -> StrataError {
        let full = context.map { "\($0).\(key)" } ?? key
        let allowed = (context.flatMap { Self.sections[$0] } ?? Self.topLevel).sorted().joined(separator: ", ")
        return located("unknown key '\(full)' (a typo?); allowed here: \(allowed)", line)
    }

    /// An error at a line of the profile; when the exact line is not known
    /// (a key the line finder cannot place), the last line that holds anything.
    private func located(_ message: String, _ line: Int?) -> StrataError {
        .input("\(path):\(line ?? KeyLines(text: text).lastLine): \(message)")
    }

    private func string(_ table: TOMLTable, _ key: String, in context: String?, _ lines: KeyLines, index: Int? = nil) throws(StrataError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else {
            throw located("\(qualified(key, context)) must be a string", lines.line(ofKey: key, in: context, index: index))
        }
        guard !string.utf8.contains(0) else {
            throw located("\(qualified(key, context)) contains a NUL character (\\u0000), which no command, path or variable can hold; remove it",
                          lines.line(ofKey: key, in: context, index: index))
        }
        return string
    }

    /// An array of strings (`[deps] inputs`), each without NUL.
    private func strings(_ table: TOMLTable, _ key: String, in context: String, _ lines: KeyLines) throws(StrataError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else {
            throw located("\(qualified(key, context)) must be an array of strings, such as [\"debian/control\"]", lines.line(ofKey: key, in: context))
        }
        var result: [String] = []
        for element in array {
            guard let string = element.string, !string.utf8.contains(0) else {
                throw located("\(qualified(key, context)) must hold strings only (without NUL), such as [\"debian/control\"]", lines.line(ofKey: key, in: context))
            }
            result.append(string)
        }
        return result
    }

    private func requiredString(_ table: TOMLTable, _ key: String, in context: String, _ lines: KeyLines, index: Int? = nil) throws(StrataError) -> String {
        guard let string = try string(table, key, in: context, lines, index: index), !string.isEmpty else {
            let line = index == nil ? lines.line(ofTable: context) : lines.line(ofTable: context, index: index)
            throw located("[\(context)] needs \(key) = \"...\"", line)
        }
        return string
    }

    /// A path inside the root (`workdir`, `output`): see `ProfileRules.pathProblem`.
    private func pathInRoot(_ table: TOMLTable, _ key: String, in context: String, _ lines: KeyLines, allowSource: Bool = false) throws(StrataError) -> String? {
        guard let path = try string(table, key, in: context, lines) else { return nil }
        if let problem = ProfileRules.pathProblem(path, allowSource: allowSource) {
            throw located("\(context).\(key) '\(path)' \(problem)", lines.line(ofKey: key, in: context))
        }
        return path
    }

    private func int(_ table: TOMLTable, _ key: String, in context: String?, _ lines: KeyLines) throws(StrataError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let int = value.int, int >= 0 else {
            throw located("\(qualified(key, context)) must be a whole number, 0 or more", lines.line(ofKey: key, in: context))
        }
        return int
    }

    private func bool(_ table: TOMLTable, _ key: String, in context: String?, _ lines: KeyLines, index: Int? = nil) throws(StrataError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let bool = value.bool else {
            throw located("\(qualified(key, context)) must be true or false", lines.line(ofKey: key, in: context, index: index))
        }
        return bool
    }

    private func qualified(_ key: String, _ context: String?) -> String {
        context.map { "\($0).\(key)" } ?? key
    }

    static func hostArchitecture() -> String { HostMachine.architecture }
}
