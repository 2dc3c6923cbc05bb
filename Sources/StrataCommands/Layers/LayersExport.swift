import ArgumentParser
import StrataCore

struct LayersExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a layer as an OCI image layer, with its description beside it.",
        discussion: """
            FILE is the OCI layer blob: a pax tar, zstd-compressed unless --compression says \
            otherwise, with overlay whiteouts as .wh.NAME files, opaque directories marked by \
            .wh..wh..opq, and no overlay attributes. FILE.json describes it: the key, the input \
            manifest and the digests that 'strata layers import' checks. The same layer always \
            exports to the same bytes; both files appear only once complete.

            Example: strata layers export 3f2a…c9 -o deps.tar.zst
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var layer: LayerKeyArgument

    @Option(name: .shortAndLong, help: ArgumentHelp("The blob to write; its description goes to FILE.json.", valueName: "file"))
    var output: String

    @OptionGroup var compression: CompressionOption

    func validate() throws {
        if output == "-" { throw ValidationError("-o needs a file: the description is written beside it as FILE.json") }
    }

    func run() throws {
        try global.handlingErrors {
            let exchange = LayerExchange(store: try global.openStore(), lockTimeout: global.lockTimeoutSeconds)
            let record = try layer.record(in: LayerStore(store: exchange.store))
            let line = ProgressLine(json: global.json)
            defer { line.end() }
            let files = try exchange.export(record.key, to: output, compression: compression.value, progress: line.sink)
            let shared = files[0].layer
            let document = SharedLayerDocument(files, description: LayerExchange.descriptionPath(for: output))
            try Output(json: global.json).print(document) {
                var lines = ["exported layer \(shared.key.hex) to \(output) (\(shared.mediaType), \(Quantity.human(bytes: shared.size)))",
                             "  digest  \(shared.digest)", "  diff id \(shared.diffID)", "  description \(document.description)"]
                for file in files.dropFirst() {
                    lines.append("  stands on \(file.layer.key.hex): \(file.path) (\(Quantity.human(bytes: file.layer.size)))")
                }
                return lines.joined(separator: "\n")
            }
        }
    }
}

/// A layer blob and its description, as `layers export` and `layers import` print them.
struct SharedLayerDocument: Encodable {
    let key: LayerKey
    let role: String
    let file: String
    let description: String
    let mediaType: String
    let digest: String
    let diffID: String
    let size: UInt64
    var imported: Bool?
    let standsOn: LayerKey?
    /// For an incremental deps layer: the files of the layers it stands on.
    var below: [Below]?

    struct Below: Encodable {
        let key: LayerKey
        let file: String
        let imported: Bool?
    }

    enum CodingKeys: String, CodingKey {
        case key, role, file, description, digest, size, imported
        case mediaType = "media_type"
        case diffID = "diff_id"
        case standsOn = "stands_on"
        case below
    }

    /// The first file is the layer's; the rest, the layers it stands on.
    init(_ files: [LayerExchange.File], description: String, imported: Bool = false) {
        let shared = files[0].layer
        self.init(shared, file: files[0].path, description: description, imported: imported ? files[0].imported : nil)
        let lower = files.dropFirst().map { Below(key: $0.layer.key, file: $0.path, imported: imported ? $0.imported : nil) }
        below = lower.isEmpty ? nil : lower
    }

    private init(_ shared: SharedLayer, file: String, description: String, imported: Bool?) {
        key = shared.key
        role = shared.inputs.role.rawValue
        self.file = file
        self.description = description
        mediaType = shared.mediaType
        digest = shared.digest
        diffID = shared.diffID
        size = shared.size
        self.imported = imported
        standsOn = shared.standsOn
        below = nil
    }
}
