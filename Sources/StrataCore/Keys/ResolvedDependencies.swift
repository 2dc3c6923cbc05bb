import Foundation


/// One resolved dependency.
public struct Dependency: Sendable, Hashable, Comparable, Codable {
    public var name: String
    public var version: String
    public var release: String?
    public var packageHash: String?

    public init(name: String, version: String, release: String? = nil, packageHash: String? = nil) {
        self.name = name
        self.version = version
        self.release = release
        self.packageHash = packageHash
    }

    enum CodingKeys: String, CodingKey {
        case name, version, release
        case packageHash = "package_hash"
    }

    public static func < (lhs: Dependency, rhs: Dependency) -> Bool {
        (lhs.name, lhs.version, lhs.release ?? "", lhs.packageHash ?? "")
            < (rhs.name, rhs.version, rhs.release ?? "", rhs.packageHash ?? "")
    }

    /// "name version-release", as a person reads it.
    public var label: String {
        "\(name) \(version)\(release.map { "-\($0)" } ?? "")"
    }
}

/// The resolved dependency set: sorted and de-duplicated, so that neither the
/// order nor repetitions in the resolver's output change a key.
public struct ResolvedDependencies: Sendable, Equatable {
    public let dependencies: [Dependency]

    public init(_ dependencies: [Dependency]) {
        self.dependencies = Array(Set(dependencies)).sorted()
    }

    /// Parses a resolver's standard output. `source` names it in errors.
    public static func parse(_ output: [UInt8], format: ResolverFormat, source: String) throws(StrataError) -> ResolvedDependencies {
        switch format {
        case .lines: return try parseLines(String(decoding: output, as: UTF8.self), source: source)
        case .json: return try parseJSON(output, source: source)
        }
    }

    private static func parseLines(_ text: String, source: String) throws(StrataError) -> ResolvedDependencies {
        var result: [Dependency] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            guard (2...4).contains(fields.count) else {
                throw StrataError(.dependencies,
                    "\(source), line \(offset + 1): expected 'name version [release] [hash]', got '\(line)'; fix the resolve command or set deps.format")
            }
            let release = fields.count > 2 && fields[2] != "-" ? fields[2] : nil
            result.append(Dependency(name: fields[0], version: fields[1], release: release,
                                     packageHash: fields.count > 3 ? fields[3] : nil))
        }
        return ResolvedDependencies(result)
    }

    private struct JSONEntry: Decodable {
        let name: String
        let version: String
        let release: ReleaseValue?
        let packageHash: String?
    }

    /// ypkg prints the release as a number; other resolvers as a string.
    private struct ReleaseValue: Decodable {
        let text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) { text = String(number) } else { text = try container.decode(String.self) }
        }
    }

    private static func parseJSON(_ output: [UInt8], source: String) throws(StrataError) -> ResolvedDependencies {
        do {
            let entries = try JSONDecoder().decode([JSONEntry].self, from: Data(output))
            return ResolvedDependencies(entries.map {
                Dependency(name: $0.name, version: $0.version, release: $0.release?.text, packageHash: $0.packageHash)
            })
        } catch {
            throw StrataError(.dependencies,
                "\(source): output is not a JSON array of {\"name\", \"version\", \"release\", \"packageHash\"} objects (\(error)); fix the resolve command or set deps.format = \"lines\"")
        }
    }

    /// The set written back in the profile's format, for $STRATA_DEPS_FILE.
    public func encoded(as format: ResolverFormat) -> [UInt8] {
        switch format {
        case .lines:
            return Array(dependencies.map { dependency in
                var fields = [dependency.name, dependency.version]
                if dependency.release != nil || dependency.packageHash != nil { fields.append(dependency.release ?? "-") }
                if let hash = dependency.packageHash { fields.append(hash) }
                return fields.joined(separator: " ") + "\n"
            }.joined().utf8)
        case .json:
            let objects = dependencies.map { dependency -> [String: String] in
                var object = ["name": dependency.name, "version": dependency.version]
                object["release"] = dependency.release
                object["packageHash"] = dependency.packageHash
                return object
            }
            return Array((try? CanonicalJSON.encode(objects)) ?? Data("[]".utf8))
        }
    }
}
