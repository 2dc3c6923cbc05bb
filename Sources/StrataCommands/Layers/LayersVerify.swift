import ArgumentParser
import StrataCore

struct LayersVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that layers are still what was committed.",
        discussion: """
            For each layer (all of them, or the keys given), checks that manifest.json decodes, names \
            this layer and hashes to its key, that upper/ exists, and that the content digest of \
            upper/ equals the one recorded when the layer was committed. Exits 0 when every layer is \
            sound, 1 when any is damaged (with --repair too, so that a timer notices). A build never \
            uses a layer whose manifest is damaged or whose upper is missing; only verify reads every \
            file.

            --repair removes the damaged layers, under the same locks as gc: never one a running \
            build uses. The next build that needs one makes it anew.

            Example: strata layers verify --repair
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Remove the damaged layers (never one in use).")
    var repair = false

    @Argument(help: "Layer keys to verify (default: every layer).")
    var keys: [String] = []

    func run() throws {
        try global.handlingErrors {
            let parsed = try keys.map { (key: String) throws(StrataError) -> LayerKey in
                try LayerKeyArgument.parse(key)
            }
            let verifier = LayerVerifier(store: try global.openStore(), lockTimeout: global.lockTimeoutSeconds)
            let line = ProgressLine(json: global.json)
            defer { line.end() }
            let results = try verifier.verify(parsed.isEmpty ? nil : parsed, repair: repair, progress: line.sink)
            let damaged = results.filter { $0.status == .damaged }
            struct Document: Encodable {
                let layers: [LayerVerification]
                let damaged: Int
                let removed: Int
            }
            let document = Document(layers: results, damaged: damaged.count, removed: damaged.filter(\.removed).count)
            try Output(json: global.json).print(document) {
                var lines = results.map { result in
                    var line = "\(result.key.hex)  \(result.status.rawValue)"
                    if let files = result.files, let bytes = result.bytes { line += "  \(files) entries, \(Quantity.human(bytes: bytes))" }
                    if let problem = result.problem { line += "\n    \(problem)" }
                    if result.removed { line += "\n    removed" }
                    if let kept = result.kept { line += "\n    not removed: \(kept)" }
                    return line
                }
                lines.append(damaged.isEmpty
                    ? "\(results.count) layer(s) verified, none damaged"
                    : "\(results.count) layer(s) verified, \(damaged.count) damaged" + (repair ? ", \(document.removed) removed" : "; remove them with 'strata layers verify --repair'"))
                return lines.joined(separator: "\n")
            }
            if !damaged.isEmpty { throw ExitCode(1) }
        }
    }
}
