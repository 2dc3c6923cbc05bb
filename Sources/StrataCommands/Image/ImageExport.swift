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

    @Option(name: .long, help: ArgumentHelp("zstd (default), gzip or none.", valueName: "kind"))
    var compression: String = "zstd"

    func validate() throws {
        if ArchiveCompression(rawValue: compression) == nil {
            throw ValidationError("--compression must be zstd, gzip or none, not '\(compression)'")
        }
        if output == "-" && global.json {
            throw ValidationError("--json and -o - both want standard output; write the archive to a file")
        }
    }

    func run() throws {
        try global.handlingErrors {
            let images = ImageStore(store: try global.openStore())
            try images.export(name, to: output, compression: ArchiveCompression(rawValue: compression) ?? .zstd)
            if output != "-" {
                struct Document: Encodable { let image: String; let output: String; let compression: String }
                Output(json: global.json).print(Document(image: name, output: output, compression: compression)) {
                    "exported image \(name) to \(output) (\(compression))"
                }
            }
        }
    }
}
