import ArgumentParser
import StrataCore

struct LayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "List and inspect the finished layers of the store.",
        subcommands: [LayersList.self, LayersInspect.self]
    )
}

struct LayersList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the finished layers.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try global.handlingErrors {
            let records = try LayerStore(store: try global.openStore()).list()
            struct Entry: Encodable { let key: String; let role: String; let parent: String?; let created: String; let dependencies: Int? }
            struct Document: Encodable { let layers: [Entry] }
            let entries = records.map {
                Entry(key: $0.key.hex, role: $0.inputs.role.rawValue, parent: $0.inputs.parent,
                      created: $0.created, dependencies: $0.inputs.dependencies?.count)
            }
            Output(json: global.json).print(Document(layers: entries)) {
                entries.isEmpty ? "no layers" : entries.map {
                    "\($0.key)  \($0.role)  \($0.dependencies.map { "\($0) dependencies" } ?? "")  \($0.created)"
                }.joined(separator: "\n")
            }
        }
    }
}

struct LayersInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a layer's input manifest.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The full layer key (64 hex digits).")
    var key: String

    func run() throws {
        try global.handlingErrors {
            let layers = LayerStore(store: try global.openStore())
            guard let parsed = LayerKey(validating: key), let record = layers.record(parsed) else {
                throw StrataError(.input, "no layer with key '\(key)'; see 'strata layers list' for the keys")
            }
            Output(json: global.json).print(record) {
                var lines = ["layer \(record.key.hex)", "  role     \(record.inputs.role.rawValue)",
                             "  parent   \(record.inputs.parent ?? "-")", "  created  \(record.created)",
                             "  arch     \(record.inputs.arch), cache_version \(record.inputs.cacheVersion)"]
                if let recipe = record.inputs.recipe { lines.append("  install  \(recipe.command)") }
                for dependency in record.inputs.dependencies ?? [] { lines.append("    \(dependency.label)") }
                return lines.joined(separator: "\n")
            }
        }
    }
}
