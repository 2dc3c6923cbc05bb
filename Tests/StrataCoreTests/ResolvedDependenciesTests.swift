import Testing
@testable import StrataCore

@Suite struct ResolvedDependenciesTests {
    @Test func linesFormatReadsOptionalReleaseAndHash() throws {
        let output = "zlib 1.3 1 abc\n\n# a comment\nglibc 2.36\nmake 4.3 - f00\n"
        let resolved = try ResolvedDependencies.parse(Array(output.utf8), format: .lines, source: "test")
        #expect(resolved.dependencies == [
            Dependency(name: "glibc", version: "2.36"),
            Dependency(name: "make", version: "4.3", packageHash: "f00"),
            Dependency(name: "zlib", version: "1.3", release: "1", packageHash: "abc"),
        ])
    }

    @Test func orderAndDuplicatesDoNotMatter() throws {
        let a = try ResolvedDependencies.parse(Array("b 1\na 2\n".utf8), format: .lines, source: "a")
        let b = try ResolvedDependencies.parse(Array("a 2\nb 1\na 2\nb 1\n".utf8), format: .lines, source: "b")
        #expect(a == b)
    }

    @Test func jsonFormatAcceptsYpkgOutput() throws {
        let output = #"[{"name":"glibc-devel","version":"2.40","release":12,"packageHash":"9f"},{"name":"zlib","version":"1.3.1","release":"3"}]"#
        let resolved = try ResolvedDependencies.parse(Array(output.utf8), format: .json, source: "test")
        #expect(resolved.dependencies == [
            Dependency(name: "glibc-devel", version: "2.40", release: "12", packageHash: "9f"),
            Dependency(name: "zlib", version: "1.3.1", release: "3"),
        ])
    }

    @Test func malformedOutputIsADependencyError() {
        #expect {
            try ResolvedDependencies.parse(Array("ok 1\nthis has far too many fields\n".utf8), format: .lines, source: "resolver")
        } throws: { error in
            let error = error as? StrataError
            return error?.exitCode == 3 && error?.message.contains("line 2") == true
        }
        #expect(throws: StrataError.self) {
            try ResolvedDependencies.parse(Array("{\"not\": \"an array\"}".utf8), format: .json, source: "resolver")
        }
    }

    @Test(arguments: [ResolverFormat.lines, .json])
    func encodingRoundTrips(format: ResolverFormat) throws {
        let set = ResolvedDependencies([
            Dependency(name: "a", version: "1", release: "2", packageHash: "h"),
            Dependency(name: "b", version: "3"),
            Dependency(name: "c", version: "4", packageHash: "x"),
        ])
        #expect(try ResolvedDependencies.parse(set.encoded(as: format), format: format, source: "round trip") == set)
    }
}
