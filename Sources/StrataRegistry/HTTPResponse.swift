/// A response's status and headers, with its body when it was kept in memory.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lowercase; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    public var isSuccess: Bool { (200..<300).contains(status) }
}
