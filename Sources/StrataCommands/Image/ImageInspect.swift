import ArgumentParser
import StrataCore

struct ImageInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show one base image.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The image name.")
    var name: String

    func run() throws {
        try global.handlingErrors {
            let images = ImageStore(store: try global.openStore())
            let document = ImageDocument(try images.inspect(name), images: images)
            try Output(json: global.json).print(document) { document.text }
        }
    }
}
