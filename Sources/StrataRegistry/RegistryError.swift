/// What went wrong talking to a registry, in words that say what to do.
public struct RegistryError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// No answer, a cut connection, a 5xx, or a stop by strata.
        case unavailable
        /// 401 or 403 after trying the credentials there are.
        case unauthorized
        /// No manifest under the tag, or a blob a manifest names is missing.
        case notFound
        /// The registry answered with content that fails verification.
        case invalidContent
        /// Any other refusal (a 4xx).
        case refused
        /// A repository reference or credentials file that cannot be read.
        case invalidInput
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
