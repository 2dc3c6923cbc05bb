/// Whether a build's resolver ran, for a profile with `[deps] inputs`
/// (JSON `resolution` of `build` and `plan`; absent without `inputs`).
public struct ResolutionStatus: Sendable, Codable, Equatable {
    /// True when the resolved set came from the resolution cache.
    public var cached: Bool
    /// Why the resolver ran: "debian/control changed", "--no-resolve-cache", …
    public var reason: String?

    /// One line for people: "resolve cached" or "resolve ran: debian/control changed".
    public var summary: String {
        cached ? "resolve cached" : "resolve ran: \(reason ?? "no cached resolution")"
    }
}
