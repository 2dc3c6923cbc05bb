import ArgumentParser
import Foundation
import StrataCore

struct LayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers",
        abstract: "List, inspect, compare, remove, export and import the finished layers of the store.",
        subcommands: [LayersList.self, LayersInspect.self, LayersDiff.self, LayersRemove.self, LayersExport.self, LayersImport.self,
                      LayersVerify.self]
    )
}

/// One layer as `layers list` and `layers inspect` show it.
struct LayerDocument: Encodable {
    let key: String
    let role: String
    let parent: String?
    let created: String
    let dependencies: Int?
    let sizeBytes: UInt64?
    let size: String?
    let lastUsed: Date?
    let useCount: Int
    let profiles: [String]
    let packages: [String]
    /// Why a damaged layer cannot be used; absent for a sound one.
    let damaged: String?
    /// For an incremental deps layer: the deps layer it is stacked on.
    let standsOn: String?

    enum CodingKeys: String, CodingKey {
        case key, role, parent, created, dependencies, size, profiles, packages, damaged
        case standsOn = "stands_on"
        case sizeBytes = "size_bytes"
        case lastUsed = "last_used"
        case useCount = "use_count"
    }

    init(_ record: LayerRecord, usage: LayerUsage?) {
        key = record.key.hex
        role = record.inputs.role.rawValue
        parent = record.inputs.parent?.hex
        created = record.created
        dependencies = record.inputs.dependencies?.count
        sizeBytes = usage?.sizeBytes
        size = usage.map { Quantity.human(bytes: $0.sizeBytes) }
        lastUsed = usage?.lastUsed
        useCount = usage?.useCount ?? 0
        profiles = usage?.profiles ?? []
        packages = usage?.packages ?? []
        damaged = nil
        standsOn = record.standsOn?.hex
    }

    /// A damaged layer: only what can still be read of it.
    init(damaged key: LayerKey, why: String, usage: LayerUsage?) {
        self.key = key.hex
        role = "unknown"
        parent = nil
        created = ""
        dependencies = nil
        sizeBytes = usage?.sizeBytes
        size = usage.map { Quantity.human(bytes: $0.sizeBytes) }
        lastUsed = usage?.lastUsed
        useCount = usage?.useCount ?? 0
        profiles = usage?.profiles ?? []
        packages = usage?.packages ?? []
        damaged = why
        standsOn = nil
    }

    var lastUsedText: String {
        lastUsed.map(Timestamp.format) ?? "never"
    }
}

struct LayersList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the finished layers: size, last use, and which profiles and packages used them.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try global.handlingErrors {
            let layers = LayerStore(store: try global.openStore())
            let documents = try layers.entries().map { entry in
                switch entry.condition {
                case .sound(let record): LayerDocument(record, usage: layers.usage(entry.key))
                case .damaged(let why): LayerDocument(damaged: entry.key, why: why, usage: layers.usage(entry.key))
                }
            }
            .sorted { ($0.lastUsed ?? .distantPast) > ($1.lastUsed ?? .distantPast) }
            struct Document: Encodable {
                let layers: [LayerDocument]; let totalBytes: UInt64
                enum CodingKeys: String, CodingKey { case layers, totalBytes = "total_bytes" }
            }
            let total = documents.reduce(0) { $0 + ($1.sizeBytes ?? 0) }
            try Output(json: global.json).print(Document(layers: documents, totalBytes: total)) {
                if documents.isEmpty { return "no layers" }
                var lines = documents.map { layer in
                    if let damaged = layer.damaged {
                        return "\(layer.key)  DAMAGED: \(damaged); never used by builds; remove it with 'strata layers verify --repair' or 'strata gc'"
                    }
                    let size = (layer.size ?? "?").padding(toLength: 10, withPad: " ", startingAt: 0)
                    let deps = (layer.dependencies.map { "\($0) deps" } ?? "") + (layer.standsOn.map { " on \($0.prefix(12))…" } ?? "")
                    return "\(layer.key)  \(layer.role)  \(size) used \(layer.useCount)x, last \(layer.lastUsedText)  \(deps)  profiles: \(layer.profiles.joined(separator: ",")); packages: \(layer.packages.joined(separator: ","))"
                }
                lines.append("\(documents.count) layer(s), \(Quantity.human(bytes: total))")
                return lines.joined(separator: "\n")
            }
        }
    }
}

struct LayersInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a layer's input manifest, dependencies and use.")

    @OptionGroup var global: GlobalOptions

    @OptionGroup var layer: LayerKeyArgument

    func run() throws {
        try global.handlingErrors {
            let layers = LayerStore(store: try global.openStore())
            let record = try layer.record(in: layers)
            let usage = layers.usage(record.key)
            struct Document: Encodable {
                let key: LayerKey
                let created: String
                let inputs: InputManifest
                let content: LayerContent?
                let usage: LayerUsage?
                let standsOn: LayerKey?
                enum CodingKeys: String, CodingKey {
                    case key, created, inputs, content, usage
                    case standsOn = "stands_on"
                }
            }
            let document = Document(key: record.key, created: record.created, inputs: record.inputs, content: record.content, usage: usage,
                                    standsOn: record.standsOn)
            try Output(json: global.json).print(document) {
                let summary = LayerDocument(record, usage: usage)
                var lines = ["layer \(record.key.hex)", "  role     \(record.inputs.role.rawValue)",
                             "  parent   \(record.inputs.parent?.hex ?? "-")"]
                    + (record.standsOn.map { ["  on       \($0.hex) (stacked: this layer holds only what that one lacks)"] } ?? [])
                    + ["  created  \(record.created)",
                             "  size     \(summary.size ?? "?")", "  used     \(summary.useCount) time(s), last \(summary.lastUsedText)",
                             "  profiles \(summary.profiles.joined(separator: ", "))",
                             "  packages \(summary.packages.joined(separator: ", "))",
                             "  arch     \(record.inputs.arch), cache_version \(record.inputs.cacheVersion)",
                             "  content  " + (record.content.map { "\($0.files) entries, \(Quantity.human(bytes: $0.bytes)), \($0.digest)" } ?? "not recorded (committed by an older strata)")]
                for mount in record.inputs.recipe?.mounts ?? [] { lines.append("  mount    \(mount)") }
                if let recipe = record.inputs.recipe { lines.append("  install  \(recipe.command)") }
                let dependencies = record.inputs.dependencies ?? []
                if !dependencies.isEmpty { lines.append("  dependencies (\(dependencies.count)):") }
                for dependency in dependencies { lines.append("    \(dependency.label)") }
                return lines.joined(separator: "\n")
            }
        }
    }
}

struct LayersRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove a layer.",
        discussion: "Refuses a layer in use by a running build, and one that other layers are built on unless --force (which removes those too).")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Also remove the layers built on this one (never one in use).")
    var force = false

    @OptionGroup var layer: LayerKeyArgument

    func run() throws {
        try global.handlingErrors {
            let layers = LayerStore(store: try global.openStore())
            let removed = try layers.removeRefusingInUse(try layer.existing(in: layers), withChildren: force)
            struct Document: Encodable {
                let removed: [LayerKey]; let freedBytes: UInt64
                enum CodingKeys: String, CodingKey { case removed, freedBytes = "freed_bytes" }
            }
            try Output(json: global.json).print(Document(removed: removed.keys, freedBytes: removed.bytes)) {
                removed.keys.map { "removed layer \($0.hex)" }.joined(separator: "\n")
                    + "\nfreed \(Quantity.human(bytes: removed.bytes))"
            }
        }
    }
}
