import ArgumentParser
import StrataCore

struct ImageImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a root file system tree as a base image.",
        discussion: """
            Copies the directory into the store (keeping owners, modes, hard links, device nodes \
            and extended attributes) and records a digest of its content in image.json. The image \
            appears only once complete.

            Example: strata image import bookworm /srv/roots/bookworm
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The image name (letters, digits, '.', '_', '-').")
    var name: String

    @Argument(help: ArgumentHelp("A directory holding the root file system.", valueName: "source"))
    var source: String

    func run() throws {
        try global.handlingErrors {
            try Host.prepareForMounts()
            let images = ImageStore(store: try global.openStore())
            let record = try images.importDirectory(name: name, from: source)
            let document = ImageDocument(record, images: images)
            Output(json: global.json).print(document) { "imported image \(document.text)" }
        }
    }
}
