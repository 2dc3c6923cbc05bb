import ArgumentParser
import StrataCore

struct ImageExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a base image as a tar archive.",
        discussion: """
            A pax tar archive, zstd-compressed unless --compression says otherwise, with owners, \
            modes, hard links, device nodes and extended attributes. The same image always gives \
            the same bytes. The file appears only once complete.

            Example: strata image export bookworm -o bookworm.tar.zst
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The image name.")
    var name: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The archive to write, or - for standard output.", valueName: "file"))
    var output: String

    @OptionGroup var compression: CompressionOption

    func validate() throws {
        if output == "-" && global.json {
            throw ValidationError("--json and -o - both want standard output; write the archive to a file")
        }
    }

    func run() throws {
        try global.handlingErrors {
            let images = ImageStore(store: try global.openStore())
            let line = ProgressLine(json: global.json)
            defer { line.end() }
            try images.export(name, to: output, compression: compression.value, progress: line.sink)
            if output != "-" {
                struct Document: Encodable { let image: String; let output: String; let compression: String }
                try Output(json: global.json).print(Document(image: name, output: output, compression: compression.name)) {
                    "exported image \(name) to \(output) (\(compression.name))"
                }
            }
        }
    }
}
