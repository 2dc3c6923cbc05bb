import ArgumentParser
import StrataCore

struct LayersDiff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show how the inputs of two layers differ.",
        discussion: """
            Compares the input manifests: dependencies (changed, added, removed), base image, \
            update state, arch, cache_version and recipe.

            Example: strata layers diff 75dcb9e99c42… f27aaeb02809…
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The older layer's key.")
    var from: String

    @Argument(help: "The newer layer's key.")
    var to: String

    func run() throws {
        try global.handlingErrors {
            let layers = LayerStore(store: try global.openStore())
            let old = try LayerKeyArgument.record(from, in: layers)
            let new = try LayerKeyArgument.record(to, in: layers)
            let difference = layers.difference(from: old, to: new)
            struct Document: Encodable { let from: LayerKey; let to: LayerKey; let identical: Bool; let summary: String; let difference: ManifestDifference }
            let summary = difference.isEmpty ? "the inputs are identical" : layers.describe(difference, of: new)
            try Output(json: global.json).print(Document(from: old.key, to: new.key, identical: difference.isEmpty,
                                                     summary: summary, difference: difference)) {
                // What a stacked layer stands on is not an input: said apart.
                var text = "\(old.key.short) → \(new.key.short): \(summary)"
                if new.standsOn == old.key { text += "\n\(new.key.short) is stacked on \(old.key.short): it holds only what that layer lacks" }
                for record in [old, new] where record.standsOn != nil && record.standsOn != old.key {
                    text += "\n\(record.key.short) is stacked on \(record.standsOn?.short ?? "")"
                }
                return text
            }
        }
    }
}
