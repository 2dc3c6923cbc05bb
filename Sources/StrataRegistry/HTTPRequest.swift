/// One HTTP request, as the registry client sends it.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        case bytes([UInt8])
        /// A file sent as it is read, `size` bytes from its start.
        case file(path: String, size: UInt64)
    }

    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Body
    /// GET and HEAD may follow redirects (blob storage often answers with one).
    public var followRedirects: Bool

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: Body = .none,
                followRedirects: Bool = false) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.followRedirects = followRedirects
    }
}
