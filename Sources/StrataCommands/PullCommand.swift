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

    @OptionGroup var layer: LayerKeyArgument

    @Option(name: .long, help: ArgumentHelp("The registry repository.", valueName: "ref"))
    var from: String

    func run() throws {
        try global.handlingErrors {
            let parsed = try layer.parsed()
            let store = try global.openStore()
            let cache = try global.registryCache(from, store: store)
            let line = ProgressLine(json: global.json)
            defer { line.end() }
            guard let report = try cache.pull(parsed, progress: line.sink) else {
                throw StrataError(.input, "\(cache.reference) has no layer \(parsed.hex) (no such tag); push it first, or build it here")
            }
            try Output(json: global.json).print(report) {
                var lines = report.layers.map { entry in
                    chainLine(entry.role, entry.key, entry.pulled ? "pulled (\(Quantity.human(bytes: entry.size)))" : "already in the store")
                }
                lines.append("\(report.reference):\(report.key.hex) — \(Quantity.human(bytes: report.pulledBytes)) pulled in \(report.milliseconds) ms")
                return lines.joined(separator: "\n")
            }
        }
    }
}
