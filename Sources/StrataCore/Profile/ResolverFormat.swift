/// How a resolver prints the resolved set (profile key `deps.format`).
public enum ResolverFormat: String, Sendable, Codable {
    /// `name version [release] [hash]` per line; `-` stands for a missing release.
    case lines
    /// `[{"name":..,"version":..,"release":..,"packageHash":..}]`, as ypkg-install-deps --json prints.
    case json
}
