/// One request of autopkgtest's virtualisation-server protocol: a line of
/// words separated by white space, each URL-encoded (%XX).
struct VirtRequest: Equatable {
    /// The command word, as sent.
    var command: String
    /// The arguments, decoded.
    var arguments: [String]

    /// nil for a line with no words (ignored, as autopkgtest's own servers do).
    init?(line: String) {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        guard let first = words.first else { return nil }
        command = first
        arguments = words.dropFirst().map(Self.decode)
    }

    /// %XX sequences decoded; anything else kept as it is.
    static func decode(_ word: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(word.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Every byte but letters, digits and `-._~/` as %XX: a word the client
    /// decodes back, safe in a line of words and in a comma-separated list.
    static func encode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
