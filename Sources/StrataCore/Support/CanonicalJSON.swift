import Foundation
import StrataOS

/// The one JSON encoding used for anything that is hashed or compared:
/// sorted keys, no escaped slashes, no whitespace. Same value, same bytes.
enum CanonicalJSON {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// The hex SHA-256 of the canonical encoding: how keys are made. A value
    /// that does not encode is a bug in its type, and a key must never be
    /// the hash of nothing.
    static func sha256Hex<T: Encodable>(_ value: T) -> String {
        do {
            return HashingStream.hex(try encode(value))
        } catch {
            preconditionFailure("cannot encode \(T.self) canonically: \(error)")
        }
    }

    /// For files people read: the same, indented.
    static func encodePretty<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return try encoder.encode(value)
    }
}

/// The JSON of strata's bookkeeping files (usage.json, updates/*.json):
/// readable, with times in `Timestamp` form.
enum BookkeepingJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom(Timestamp.encode)
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom(Timestamp.decode)
        return decoder
    }
}
