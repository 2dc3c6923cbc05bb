import ArgumentParser
import Foundation
import StrataCore

/// Where results go: text for people, or one JSON document, on stdout.
struct Output {
    let json: Bool

    /// Prints `value` as JSON (Docs/json.md) or `text()`. A value that cannot
    /// be encoded is a bug, reported as an error (exit 4), never as `{}`.
    func print<T: Encodable>(_ value: T, text: () -> String) throws(StrataError) {
        if json {
            let data: Data
            do {
                data = try Self.encoder.encode(value)
            } catch {
                throw StrataError(.environment, "could not encode the JSON output (\(error)); this is a bug in strata: please report it with the command you ran")
            }
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data((text() + "\n").utf8))
        }
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom(Timestamp.encode)
        return encoder
    }

    func error(_ error: StrataError) {
        struct Document: Encodable {
            struct Body: Encodable {
                let message: String
                let exitCode: Int32
                enum CodingKeys: String, CodingKey {
                    case message
                    case exitCode = "exit_code"
                }
            }
            let error: Body
        }
        FileHandle.standardError.write(Data("strata: error: \(error.message)\n".utf8))
        if json, let data = try? Self.encoder.encode(Document(error: .init(message: error.message, exitCode: error.exitCode))) {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
    }

    /// A note for people on stderr; silent under --json.
    func note(_ text: String) {
        if !json { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }
}
