import ArgumentParser
import StrataCore

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Import, export, list, inspect and remove base images.",
        subcommands: [ImageImport.self, ImageExport.self, ImageList.self, ImageInspect.self, ImageRemove.self]
    )
}

/// image.json plus where its rootfs is.
struct ImageDocument: Encodable {
    let name: String
    let digest: String
    let source: String
    let importedAt: String
    let rootfs: String

    enum CodingKeys: String, CodingKey {
        case name, digest, source, rootfs
        case importedAt = "imported_at"
    }

    init(_ record: ImageRecord, images: ImageStore) {
        name = record.name
        digest = record.digest
        source = record.source
        importedAt = record.importedAt
        rootfs = images.rootfs(record.name)
    }

    var text: String {
        "\(name)\n  digest   \(digest)\n  source   \(source)\n  imported \(importedAt)\n  rootfs   \(rootfs)"
    }
}
