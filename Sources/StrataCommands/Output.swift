import ArgumentParser
import Foundation
import StrataCore

/// Where results go: text for people, or one JSON document, on stdout.
struct Output {
    let json: Bool

    func print<T: Encodable>(_ value: T, text: () -> String) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .custom(Timestamp.encode)
            let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data((text() + "\n").utf8))
        }
    }

    func error(_ error: StrataError) {
        struct Document: Encodable {
            struct Body: Encodable { let message: String; let exit_code: Int32 }
            let error: Body
        }
        FileHandle.standardError.write(Data("strata: error: \(error.message)\n".utf8))
        if json {
            print(Document(error: .init(message: error.message, exit_code: error.exitCode))) { "" }
        }
    }

    /// A progress line on stderr, redrawn in place; silent under --json.
    func progress(_ text: String, done: Bool) {
        if !json { FileHandle.standardError.write(Data(("\r" + text + (done ? "\n" : "")).utf8)) }
    }

    /// A note for people on stderr; silent under --json.
    func note(_ text: String) {
        if !json { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }
}
