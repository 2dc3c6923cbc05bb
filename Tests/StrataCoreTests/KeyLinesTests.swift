import Testing
@testable import StrataCore

/// Which line a key or a table is on, for errors found after TOML parsing.
@Suite struct KeyLinesTests {
    let text = """
        # a profile
        arch = "x86_64"

        [base]
        image = "demo"

        [[mount]]
        source = "/a"
        target = "/srv/a"

        [[mount]]
        source = "/b"
        'target' = "/srv/b"

        [env]
        "A=B" = "1"
        """

    @Test func aKeyIsFoundInItsOwnTableFirst() {
        let lines = KeyLines(text: text)
        #expect(lines.line(ofKey: "arch", in: nil) == 2)
        #expect(lines.line(ofKey: "image", in: "base") == 5)
        // Asked in the wrong table, the first line with that key is still named.
        #expect(lines.line(ofKey: "image", in: "build") == 5)
        #expect(lines.line(ofKey: "nothing", in: nil) == nil)
    }

    @Test func elementsOfAnArrayOfTablesAreCountedFromZero() {
        let lines = KeyLines(text: text)
        #expect(lines.line(ofTable: "mount", index: 0) == 7)
        #expect(lines.line(ofTable: "mount", index: 1) == 11)
        #expect(lines.line(ofKey: "source", in: "mount", index: 1) == 12)
        #expect(lines.line(ofKey: "target", in: "mount", index: 1) == 13)
    }

    @Test func quotedKeysMayHoldAnEqualsSign() {
        let lines = KeyLines(text: text)
        #expect(lines.line(ofKey: "A=B", in: "env") == 16)
        #expect(lines.line(ofTable: "env") == 15)
    }

    @Test func theLastLineIgnoresTrailingBlankLinesAndComments() {
        #expect(KeyLines(text: text + "\n\n# end\n").lastLine == 16)
        #expect(KeyLines(text: "").lastLine == 1)
    }
}
