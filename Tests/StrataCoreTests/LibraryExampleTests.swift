// BEGIN the example of Docs/library.md
import StrataCore

/// Plans and builds one package as `strata build --profile bookworm
/// --output out --jobs 4 --cache-from registry.example.com/strata/cache
/// hello-2.10` does, and says whether the build succeeded.
func buildHello() throws(StrataError) -> Bool {
    let store = try Store.open("/var/lib/strata")
    let profile = try ProfileLoader.standard(environment: [:]).load("bookworm")
    var options = BuildOptions(output: "out", jobs: 4)
    options.cacheFrom = "registry.example.com/strata/cache"
    let workflow = try BuildWorkflow(store: store, profile: profile, options: options)

    let plan = try workflow.plan(source: "hello-2.10")
    for layer in plan.layers {
        print(layer.role, layer.key.short, layer.action, layer.explanation?.summary ?? "")
    }
    let result = try workflow.build(source: "hello-2.10")
    print("artifacts:", result.report.artifacts, "build:", result.report.timings.build, "ms")
    return result.report.succeeded
}
// END the example of Docs/library.md

import Foundation
import Testing

/// The Swift example of Docs/library.md is the code above, which this
/// target compiles against the public API only (a plain import): the
/// documentation cannot name a call that does not exist.
@Suite struct LibraryExampleTests {
    @Test func theDocumentedExampleIsTheCodeThatCompilesHere() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let document = try String(contentsOf: repository.appendingPathComponent("Docs/library.md"), encoding: .utf8)
        let documented = try #require(document.components(separatedBy: "```swift\n").dropFirst().first?
            .components(separatedBy: "```").first, "Docs/library.md has no ```swift block")
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let compiled = try #require(source.components(separatedBy: "// BEGIN the example of Docs/library.md\n").dropFirst().first?
            .components(separatedBy: "// END the example of Docs/library.md").first)
        #expect(documented == compiled, "Docs/library.md's example differs from the code in \(#filePath); copy one to the other")
    }
}
