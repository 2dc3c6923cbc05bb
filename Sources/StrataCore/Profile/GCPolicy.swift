/// Limits on the layers a store keeps (`strata gc`, or a profile's [gc]).
public struct GCPolicy: Sendable, Equatable {
    /// Total disk usage of all layers, in bytes.
    public var maxSize: UInt64?
    /// Seconds since a layer's last use (or creation, if never used).
    public var maxAge: Double?
    /// How many layers may remain: the most recently used ones stay.
    public var keepLast: Int?

    public init(maxSize: UInt64? = nil, maxAge: Double? = nil, keepLast: Int? = nil) {
        self.maxSize = maxSize
        self.maxAge = maxAge
        self.keepLast = keepLast
    }

    public var isEmpty: Bool { maxSize == nil && maxAge == nil && keepLast == nil }
}
