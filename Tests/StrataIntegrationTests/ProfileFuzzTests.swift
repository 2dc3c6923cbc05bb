import Foundation
import Testing

/// Profiles mutated from the shipped examples so that each is wrong: every
/// one must be refused by the real binary with exit 2 and an error that names
/// the file and the line, quickly, without crashing and without writing
/// anything (not even the store).
@Suite(.needsRoot) struct ProfileFuzzTests {
    /// A small deterministic generator (xorshift), so that a failure repeats.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }
    }

    static func examples() throws -> [String] {
        let demo = try String(contentsOfFile: Sandbox.repository + "/Examples/demo/demo.toml.in", encoding: .utf8)
            .replacingOccurrences(of: "@REPO@", with: "/srv/demo-repo-on-host")
        let debian = try String(contentsOfFile: Sandbox.repository + "/Examples/debian/bookworm.toml", encoding: .utf8)
        return [demo, debian]
    }

    /// One mutation that must make `text` invalid, and what kind it is.
    static func mutate(_ text: String, _ random: inout Generator) -> (kind: String, text: [UInt8]) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Lines inside a multi-line string ("""...""") are text, not TOML.
        var inString = false
        var isTOML: [Bool] = []
        for line in lines {
            isTOML.append(!inString)
            if line.components(separatedBy: "\"\"\"").count == 2 { inString.toggle() }
        }
        let assignments = lines.indices.filter {
            isTOML[$0] && lines[$0].contains(" = ") && !lines[$0].hasPrefix("#") && !lines[$0].hasPrefix(" ") && !lines[$0].contains("\"\"\"")
        }
        let headers = lines.indices.filter { isTOML[$0] && lines[$0].hasPrefix("[") }
        let kinds = ["type", "unknown", "duplicate", "path", "hostile", "truncate", "utf8", "header", "mount-path", "env"]
        let kind = random.pick(kinds)
        switch kind {
        case "type":
            // A string value made a number, a boolean, an array or a table.
            let strings = assignments.filter { lines[$0].contains("= \"") && !lines[$0].contains("\"\"\"") }
            let index = random.pick(strings)
            let key = lines[index].components(separatedBy: " = ")[0]
            lines[index] = key + " = " + random.pick(["42", "true", "[1, 2]", "{ a = 1 }", "1979-05-27T07:32:00Z"])
        case "unknown":
            // Not into a table of variables ([env], [build.env]), where any name is a new variable.
            let index = random.pick(headers.filter { lines[$0] != "[env]" && lines[$0] != "[build.env]" })
            lines.insert(random.pick(["colour", "netwrok", "read_only", "installl", "x-\(random.next(1000))"]) + " = \"x\"", at: index + 1)
        case "duplicate":
            let index = random.pick(assignments.filter { !lines[$0].contains("\"\"\"") })
            lines.insert(lines[index], at: index + 1)
        case "path":
            let bad = random.pick(["/", "relative/out", "/proc", "/proc/self", "/sys/x", "/dev", "/a/../b", "//x", "/x/", "/x/./y", "..", "/build/src", "/build/src/out"])
            let buildIndex = headers.first { lines[$0] == "[build]" } ?? 0
            lines.insert("output = \"\(bad)\"", at: buildIndex + 1)
        case "hostile":
            let buildIndex = headers.first { lines[$0] == "[build]" } ?? 0
            let value = random.pick(["build\\nx", "root:x:0:0", "../x", "a b", "Ωmega", "", "build\\u0000", String(repeating: "u", count: 40), "-build", "9build"])
            lines.insert("user = \"\(value)\"", at: buildIndex + 1)
        case "truncate":
            // Cut right after the opening quote of a value: an unterminated string.
            let index = random.pick(assignments.filter {
                lines[$0].contains("= \"") && !lines[$0].contains("\"\"\"") && (lines[$0].components(separatedBy: "= \"").last?.count ?? 0) > 5
            })
            let line = lines[index]
            if let quote = line.range(of: "= \"") {
                lines[index] = String(line[..<quote.upperBound]) + String(line[quote.upperBound...].prefix(random.next(4)))
            }
            lines = Array(lines[...index])
        case "utf8":
            let index = random.next(lines.count)
            var bytes = Array(lines[..<index].joined(separator: "\n").utf8)
            bytes += (index > 0 ? [10] : []) + Array("# ".utf8) + [random.pick([0xff, 0xc3, 0xe9, 0x80, 0xed])] + [10]
            bytes += Array(lines[index...].joined(separator: "\n").utf8)
            return (kind, bytes)
        case "header":
            let index = random.pick(headers)
            lines[index] = random.pick(["[deps", "[[build]]", "[ base ]]", "[mount]", "[build.x]", "[]"])
        case "mount-path":
            let target = random.pick(["/", "relative", "/proc/x", "/dev/null", "/a/../../etc", "/sys", "/build/src", "/x//y"])
            lines += ["", "[[mount]]", "source = \"/srv/x\"", "target = \"\(target)\""]
        default:
            let envIndex = headers.first { lines[$0] == "[env]" }
            let entry = random.pick(["\"A=B\" = \"x\"", "1A = \"x\"", "\"\" = \"x\"", "A = \"x\\u0000y\"", "\"A B\" = \"x\"",
                                     "A = \"\(String(repeating: "z", count: 33_000))\"", "A = 1"])
            if let envIndex {
                lines.insert(entry, at: envIndex + 1)
            } else {
                lines += ["", "[env]", entry]
            }
        }
        return (kind, Array(lines.joined(separator: "\n").utf8))
    }

    @Test func twoHundredMutatedProfilesAreRefusedWithFileAndLine() throws {
        let sandbox = try Sandbox()
        let examples = try Self.examples()
        let directory = sandbox.work + "/fuzz"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let storeBefore = try FileManager.default.subpathsOfDirectory(atPath: sandbox.store).sorted()
        var random = Generator(state: 0x5eed_2026_1123)
        var failures: [String] = []
        var kinds: [String: Int] = [:]
        for round in 0..<220 {
            let (kind, bytes) = Self.mutate(examples[round % examples.count], &random)
            kinds[kind, default: 0] += 1
            let path = directory + "/mutant-\(round).toml"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let started = Date()
            let run = try sandbox.strata(["plan", "--profile", path, sandbox.source("hello")])
            let seconds = Date().timeIntervalSince(started)
            let located = run.stderr.range(of: "strata: error: \(path):[0-9]+", options: .regularExpression) != nil
            if run.status != 2 || !located || seconds > 5 {
                failures.append("#\(round) (\(kind)): exit \(run.status) in \(String(format: "%.1f", seconds)) s: \(run.stderr.prefix(300)) — profile: \(String(decoding: bytes, as: UTF8.self).prefix(2000))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mutants were not refused with file and line:\n\(failures.prefix(8).joined(separator: "\n\n"))")
        #expect(kinds.count == 10, "every kind of mutation was tried: \(kinds)")
        // Nothing was written: the store is as the sandbox made it, and the fuzz
        // directory holds only the mutants.
        #expect(try FileManager.default.subpathsOfDirectory(atPath: sandbox.store).sorted() == storeBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 220)
    }
}
