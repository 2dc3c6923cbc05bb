/// Where layers go in a registry: `[http://|https://]HOST[:PORT]/PATH`,
/// without a tag (strata derives tags from layer keys). A reference
/// whose first part is not a host (no dot, no port, not localhost) is on
/// Docker Hub, as docker and skopeo read it.
public struct RepositoryReference: Sendable, Equatable, CustomStringConvertible {
    /// The registry as written: host, or host:port.
    public let registry: String
    /// The repository inside it, such as "strata/cache".
    public let repository: String
    public let scheme: String

    public static let dockerHub = "registry-1.docker.io"

    public init(parsing text: String) throws(RegistryError) {
        var rest = Substring(text)
        var explicitScheme: String?
        for prefix in ["http://", "https://"] where rest.hasPrefix(prefix) {
            explicitScheme = String(prefix.dropLast(3))
            rest = rest.dropFirst(prefix.count)
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 1, !parts.contains(where: \.isEmpty) else {
            throw Self.invalid(text, "expected HOST[:PORT]/REPOSITORY, such as registry.example.com/strata/cache")
        }
        let first = parts[0]
        let isHost = first.contains(".") || first.contains(":") || first == "localhost"
        var registry = isHost ? first : Self.dockerHub
        var path = isHost ? Array(parts.dropFirst()) : parts
        if !isHost && path.count == 1 { path.insert("library", at: 0) }
        if registry == "docker.io" || registry == "index.docker.io" { registry = Self.dockerHub }
        guard !path.isEmpty else {
            throw Self.invalid(text, "it names a registry but no repository; add one, such as \(first)/strata/cache")
        }
        if let last = path.last, last.contains(":") || last.contains("@") {
            throw Self.invalid(text, "give the repository without a tag or digest: strata tags each layer with its key")
        }
        for component in path where !Self.isValidComponent(component) {
            throw Self.invalid(text, "'\(component)' is not a valid repository name part (lowercase letters, digits, and . _ - between them)")
        }
        self.registry = registry
        repository = path.joined(separator: "/")
        scheme = explicitScheme ?? (Self.isLoopback(registry) ? "http" : "https")
    }

    public var description: String { registry + "/" + repository }

    /// The base of every API URL of this repository.
    public var apiBase: String { "\(scheme)://\(registry)/v2/\(repository)" }

    /// Reference to one tag, as skopeo or docker would name it.
    public func tagged(_ tag: String) -> String { description + ":" + tag }

    private static func isValidComponent(_ component: String) -> Bool {
        let separators: Set<Character> = [".", "_", "-"]
        guard let first = component.first, let last = component.last,
              !separators.contains(first), !separators.contains(last) else { return false }
        return component.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || separators.contains($0) }
    }

    /// Plain HTTP is the default for registries on this machine, as docker does.
    private static func isLoopback(_ registry: String) -> Bool {
        let host = registry.hasPrefix("[") ? String(registry.prefix { $0 != "]" }.dropFirst()) : String(registry.prefix { $0 != ":" })
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    private static func invalid(_ text: String, _ why: String) -> RegistryError {
        RegistryError(.invalidInput, "'\(text)' is not a registry repository: \(why)")
    }
}
