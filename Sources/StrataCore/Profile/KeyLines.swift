/// Finds the line of a key or table header in TOML text, so that errors
/// found after parsing (unknown keys, wrong types) can name the line.
struct KeyLines {
    private struct Line {
        let number: Int
        /// The table header in force: "build", "mount", or nil at top level.
        let table: String?
        /// For [[array]] tables, which element (0-based).
        let index: Int?
        /// The key assigned on this line, if any.
        let key: String?
        /// The header this line opens, if it is one.
        let header: String?
    }

    private let lines: [Line]

    init(text: String) {
        var result: [Line] = []
        var table: String?
        var index: Int?
        var arrayCounts: [String: Int] = [:]
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = raw.drop { $0 == " " || $0 == "\t" }
            var header: String?
            var key: String?
            if trimmed.hasPrefix("[[") {
                let name = Self.headerName(trimmed.dropFirst(2))
                let count = arrayCounts[name, default: 0]
                arrayCounts[name] = count + 1
                table = name
                index = count
                header = name
            } else if trimmed.hasPrefix("[") {
                let name = Self.headerName(trimmed.dropFirst())
                table = name
                index = nil
                header = name
            } else if !trimmed.hasPrefix("#"), let name = Self.keyName(trimmed) {
                key = name
            }
            result.append(Line(number: offset + 1, table: table, index: index, key: key, header: header))
        }
        lines = result
    }

    func line(ofKey key: String, in table: String?, index: Int? = nil) -> Int? {
        lines.first { $0.key == key && $0.table == table && (index == nil || $0.index == index) }?.number
            ?? lines.first { $0.key == key }?.number
    }

    /// The last line that holds anything, where a missing table would go.
    var lastLine: Int {
        lines.last { $0.key != nil || $0.header != nil }?.number ?? 1
    }

    func line(ofTable table: String, index: Int? = nil) -> Int? {
        lines.first { $0.header == table && (index == nil || $0.index == index) }?.number
    }

    /// The key assigned on a line: bare (`name = …`) or quoted (`"A=B" = …`,
    /// whose quotes may hold an `=`).
    private static func keyName(_ line: Substring) -> String? {
        if let quote = line.first, quote == "\"" || quote == "'" {
            let rest = line.dropFirst()
            guard let close = rest.firstIndex(of: quote) else { return nil }
            return String(rest[..<close])
        }
        guard let equals = line.firstIndex(of: "=") else { return nil }
        return String(line[..<equals]).trimmingQuotesAndSpaces()
    }

    private static func headerName(_ rest: Substring) -> String {
        String(rest.prefix { $0 != "]" }).trimmingQuotesAndSpaces()
    }
}

extension String {
    func trimmingQuotesAndSpaces() -> String {
        let unwanted: Set<Character> = [" ", "\t", "\"", "'"]
        return String(drop { unwanted.contains($0) }.reversed().drop { unwanted.contains($0) }.reversed())
    }
}
