import ArgumentParser
import StrataCore

struct ImageRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove a base image.",
        discussion: "Layers built on it stay in the store; importing the same content again makes them usable again."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The image name.")
    var name: String

    func run() throws {
        try global.handlingErrors {
            try ImageStore(store: try global.openStore()).remove(name)
            struct Document: Encodable { let removed: String }
            try Output(json: global.json).print(Document(removed: name)) { "removed image \(name)" }
        }
    }
}
