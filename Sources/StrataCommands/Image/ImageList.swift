import ArgumentParser
import StrataCore

struct ImageList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the imported base images.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try global.handlingErrors {
            let images = ImageStore(store: try global.openStore())
            let documents = try images.list().map { ImageDocument($0, images: images) }
            struct Document: Encodable { let images: [ImageDocument] }
            try Output(json: global.json).print(Document(images: documents)) {
                documents.isEmpty ? "no images; import one with 'strata image import NAME DIR'"
                    : documents.map { "\($0.name)  \($0.digest)  \($0.importedAt)" }.joined(separator: "\n")
            }
        }
    }
}
