import ArgumentParser
import StrataCore

struct LayersImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add a layer written by 'strata layers export' to the store.",
        discussion: """
            Reads the description (FILE.json unless --description says otherwise), checks that \
            its input manifest hashes to its key and that the store has the layer it stands on, \
            extracts the blob as untrusted content (refusing paths that leave the root, device \
            nodes other than whiteouts, and overlay attributes), checks the blob's digest and \
            diff id, and only then renames the layer into place. A layer the store has already \
            is left as it is.

            Example: strata layers import deps.tar.zst
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The layer blob.", valueName: "file"))
    var file: String

    @Option(name: .long, help: ArgumentHelp("The description file (default: FILE.json).", valueName: "file"))
    var description: String?

    func run() throws {
        try global.handlingErrors {
            let exchange = LayerExchange(store: try global.openStore(), lockTimeout: global.lockTimeoutSeconds)
            let line = ProgressLine(json: global.json)
            defer { line.end() }
            let files = try exchange.importLayer(from: file, description: description, progress: line.sink)
            let document = SharedLayerDocument(files, description: description ?? LayerExchange.descriptionPath(for: file), imported: true)
            try Output(json: global.json).print(document) {
                files.reversed().map { file in
                    file.imported ? "imported layer \(file.layer.key.hex) (\(file.layer.inputs.role.rawValue), \(Quantity.human(bytes: file.layer.size)))"
                        : "layer \(file.layer.key.hex) is in the store already; nothing imported"
                }.joined(separator: "\n")
            }
        }
    }
}
