import Testing
@testable import StrataCommands

/// DESIGN.md puts global options before the command; the parser wants them
/// after it. What moves, and what must not.
@Suite struct GlobalOptionsTests {
    @Test(arguments: [
        (["--json", "build", "--profile", "p", "src"], ["build", "--profile", "p", "src", "--json"]),
        (["--store", "/s", "-v", "plan", "x"], ["plan", "x", "--store", "/s", "-v"]),
        (["--store=/s", "--lock-timeout", "30m", "gc", "--max-age", "1d"], ["gc", "--max-age", "1d", "--store=/s", "--lock-timeout", "30m"]),
        (["--lock-timeout=10", "--verbose", "layers", "list"], ["layers", "list", "--lock-timeout=10", "--verbose"]),
        (["build", "--json", "src"], ["build", "--json", "src"]),
        // Everything after `--` is the command's (strata run): the options go before it.
        (["--no-userns", "--store", "/s", "run", "--profile", "p", "--", "echo", "--json"],
         ["run", "--profile", "p", "--no-userns", "--store", "/s", "--", "echo", "--json"]),
    ])
    func leadingGlobalOptionsMoveBehindTheCommand(given: [String], expected: [String]) {
        #expect(GlobalOptions.movingLeadingOptions(given) == expected)
    }

    @Test func anOptionThatLacksItsValueStaysWhereItIsForTheParserToReport() {
        #expect(GlobalOptions.movingLeadingOptions(["--store"]) == ["--store"])
        #expect(GlobalOptions.movingLeadingOptions(["--json", "--lock-timeout"]) == ["--lock-timeout", "--json"])
    }

    @Test func theFirstNonGlobalArgumentEndsTheMove() {
        #expect(GlobalOptions.movingLeadingOptions(["image", "--json", "list"]) == ["image", "--json", "list"])
        #expect(GlobalOptions.movingLeadingOptions([]) == [])
    }
}
