import ArgumentParser
import Foundation
import StrataCore

struct ImageImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a root file system as a base image.",
        discussion: """
            SOURCE is a directory, a tar archive (plain, gzip, xz, zstd or bzip2, recognised by \
            its content), or - to read an archive from standard input. Owners, modes, times, hard \
            links, symlinks, device nodes and extended attributes are kept. Entries with absolute \
            paths, '..', a path through a symlink, or overlayfs attributes are refused. The image \
            appears only once complete, with a digest of its content in image.json.

            Examples:
              strata image import bookworm /srv/roots/bookworm
              strata image import f40 fedora-40-root-cache.tar.zst
              debootstrap-to-stdout | strata image import bookworm -
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The image name (letters, digits, '.', '_', '-').")
    var name: String

    @Argument(help: ArgumentHelp("A directory, a tar archive, or - for standard input.", valueName: "source"))
    var source: String

    func run() throws {
        try global.handlingErrors {
            let images = ImageStore(store: try global.openStore())
            let output = Output(json: global.json)
            let line = ProgressLine(json: global.json)
            defer { line.end() }
            let record = try images.importImage(name: name, from: source, progress: line.sink)
            let document = ImageDocument(record, images: images)
            try output.print(document) { "imported image \(document.text)" }
        }
    }

}
