import ArgumentParser
import StrataCore

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push a layer, and the layers it stands on, to an OCI registry.",
        discussion: """
            Each layer becomes an image tagged with its key in the repository REF \
            (HOST[:PORT]/PATH, no tag): its blob, the blobs of the layers under it, and a \
            config carrying their input manifests. Blobs and tags the registry has are not \
            sent again. Credentials: STRATA_REGISTRY_USERNAME and STRATA_REGISTRY_PASSWORD, or \
            the auths of ~/.docker/config.json, $DOCKER_CONFIG or $REGISTRY_AUTH_FILE.

            Example: strata push 3f2a…c9 --to registry.example.com/strata/cache
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var layer: LayerKeyArgument

    @Option(name: .long, help: ArgumentHelp("The registry repository.", valueName: "ref"))
    var to: String

    @OptionGroup var compression: CompressionOption

    func run() throws {
        try global.handlingErrors {
            let store = try global.openStore()
            let record = try layer.record(in: LayerStore(store: store))
            let cache = try global.registryCache(to, store: store, compression: compression.value)
            let line = ProgressLine(json: global.json)
            defer { line.end() }
            let report = try cache.push(record.key, progress: line.sink)
            try Output(json: global.json).print(report) {
                var lines = report.layers.map { entry in
                    chainLine(entry.role, entry.key, entry.uploaded ? "pushed (\(Quantity.human(bytes: entry.size)))" : "already in the registry")
                }
                lines.append("\(report.reference):\(report.key.hex) — \(Quantity.human(bytes: report.uploadedBytes)) uploaded in \(report.milliseconds) ms")
                return lines.joined(separator: "\n")
            }
        }
    }
}
