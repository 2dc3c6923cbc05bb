/// A request that got no complete response: refused, timed out, cut off,
/// or stopped by strata itself.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public let method: String
    public let url: String
    public let reason: String

    public var description: String { "\(method) \(url): \(reason)" }
}
