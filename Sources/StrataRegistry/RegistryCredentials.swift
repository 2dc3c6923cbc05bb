import Foundation

/// A user name and password (or token) for one registry, and where they came from.
public struct RegistryCredentials: Sendable, Equatable {
    public var username: String
    public var password: String
    /// The variable names or the file they were read from, for messages.
    public var source: String

    var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// Finds credentials as docker, podman and skopeo users keep them: the
/// variables STRATA_REGISTRY_USERNAME and STRATA_REGISTRY_PASSWORD first,
/// then the `auths` of $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
/// and $DOCKER_CONFIG/config.json or ~/.docker/config.json.
public struct CredentialStore: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    /// The files searched, in order.
    public var files: [String] {
        var files: [String] = []
        if let file = environment["REGISTRY_AUTH_FILE"], !file.isEmpty { files.append(file) }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { files.append(runtime + "/containers/auth.json") }
        if let docker = environment["DOCKER_CONFIG"], !docker.isEmpty {
            files.append(docker + "/config.json")
        } else if let home = environment["HOME"], !home.isEmpty {
            files.append(home + "/.docker/config.json")
        }
        return files
    }

    /// Credentials for `registry` (host or host:port), or nil when there are none.
    public func credentials(for registry: String) throws(RegistryError) -> RegistryCredentials? {
        if let username = environment["STRATA_REGISTRY_USERNAME"], let password = environment["STRATA_REGISTRY_PASSWORD"] {
            return RegistryCredentials(username: username, password: password,
                                       source: "STRATA_REGISTRY_USERNAME and STRATA_REGISTRY_PASSWORD")
        }
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else { continue }
            if let found = try Self.read(file, registry: registry) { return found }
        }
        return nil
    }

    /// The `auths` entry of one config file that matches the registry.
    static func read(_ file: String, registry: String) throws(RegistryError) -> RegistryCredentials? {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw RegistryError(.invalidInput, "\(file): not valid JSON (\(error.localizedDescription)); fix or remove the file")
        }
        guard let auths = (object as? [String: Any])?["auths"] as? [String: Any] else { return nil }
        let wanted = aliases(of: registry)
        for (key, value) in auths.sorted(by: { $0.key < $1.key }) where wanted.contains(normalize(key)) {
            guard let entry = value as? [String: Any] else { continue }
            if let encoded = entry["auth"] as? String, !encoded.isEmpty {
                guard let decoded = Data(base64Encoded: encoded).map({ String(decoding: $0, as: UTF8.self) }),
                      let colon = decoded.firstIndex(of: ":") else {
                    throw RegistryError(.invalidInput, "\(file): auths.\"\(key)\".auth is not base64 of USER:PASSWORD; log in again or fix the entry")
                }
                return RegistryCredentials(username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]),
                                           source: file)
            }
            if let username = entry["username"] as? String, let password = entry["password"] as? String {
                return RegistryCredentials(username: username, password: password, source: file)
            }
        }
        return nil
    }

    /// "https://host:port/v1/" and "host:port/some/path" both name "host:port".
    static func normalize(_ key: String) -> String {
        var rest = Substring(key)
        for prefix in ["http://", "https://"] where rest.hasPrefix(prefix) { rest = rest.dropFirst(prefix.count) }
        return String(rest.prefix { $0 != "/" })
    }

    /// Docker Hub answers to several names.
    static func aliases(of registry: String) -> Set<String> {
        let hub: Set<String> = [RepositoryReference.dockerHub, "docker.io", "index.docker.io"]
        return hub.contains(registry) ? hub : [registry]
    }
}
