import ArgumentParser
import StrataCore

struct WhyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "why",
        abstract: "Show what a layer is made of and which builds used it, and when.",
        discussion: "Example: strata why 75dcb9e99c42dd197ba81f3fce1283208074e558cf1ef9d0052e6c778c2340fe"
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var layer: LayerKeyArgument

    func run() throws {
        try global.handlingErrors {
            let layers = LayerStore(store: try global.openStore())
            let record = try layer.record(in: layers)
            let usage = layers.usage(record.key)
            let explanation = layers.explainAgainstOthers(record)
            struct Document: Encodable {
                let key: LayerKey; let role: String; let created: String; let parent: String?
                let dependencies: Int?; let uses: [LayerUsage.Use]; let useCount: Int; let explanation: Explanation
                let standsOn: LayerKey?
                enum CodingKeys: String, CodingKey {
                    case key, role, created, parent, dependencies, uses, explanation
                    case useCount = "use_count"
                    case standsOn = "stands_on"
                }
            }
            let document = Document(key: record.key, role: record.inputs.role.rawValue, created: record.created,
                                    parent: record.inputs.parent?.hex, dependencies: record.inputs.dependencies?.count,
                                    uses: usage?.uses ?? [], useCount: usage?.useCount ?? 0, explanation: explanation, standsOn: record.standsOn)
            try Output(json: global.json).print(document) {
                var lines = ["layer \(record.key.hex) (\(record.inputs.role.rawValue)), created \(record.created)",
                             "  \(explanation.summary)"]
                    + (record.standsOn.map { ["  stacked on deps layer \($0.hex): it holds only the entries that one lacks"] } ?? [])
                    + ["  used \(document.useCount) time(s)\(document.uses.isEmpty ? "" : ", most recently:")"]
                for use in document.uses.suffix(20).reversed() {
                    lines.append("    \(Timestamp.format(use.at))  profile \(use.profile)\(use.package.map { ", package \($0)" } ?? "")")
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}
