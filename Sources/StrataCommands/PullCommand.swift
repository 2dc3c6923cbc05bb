import ArgumentParser
import StrataCore

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull a layer, and the layers it stands on, from an OCI registry.",
        discussion: """
            Reads the image tagged with the key in REF, checks every digest, extracts each layer \
            the store lacks as untrusted content, and renames them into place only when all are \
            complete: a mismatch or refusal leaves nothing behind. Exits 2 when the registry has \
            no such layer or its content fails a check, 4 when the registry cannot be reached \
            or refuses.

            Example: strata pull 3f2a…c9 --from registry.example.com/strata/cache
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The full layer key (64 hex digits).")
    var key: String

    @Option(name: .long, help: ArgumentHelp("The registry repository.", valueName: "ref"))
    var from: String

    func run() throws {
        try global.handlingErrors {
            guard let parsed = LayerKey(validating: key) else {
                throw StrataError(.input, "'\(key)' is not a layer key (64 lowercase hex digits); see 'strata layers list' or a build's output")
            }
            try Host.prepareForMounts()
            let store = try global.openStore()
            let cache = try BuildRunner(global: global).registry(from, store: store)
            guard let report = try cache.pull(parsed) else {
                throw StrataError(.input, "\(cache.reference) has no layer \(parsed.hex) (no such tag); push it first, or build it here")
            }
            Output(json: global.json).print(report) {
                var lines = report.layers.map { layer in
                    chainLine(layer.role, layer.key, layer.pulled ? "pulled (\(Quantity.human(bytes: layer.size)))" : "already in the store")
                }
                lines.append("\(report.reference):\(report.key.hex) — \(Quantity.human(bytes: report.pulledBytes)) pulled in \(report.milliseconds) ms")
                return lines.joined(separator: "\n")
            }
        }
    }
}
