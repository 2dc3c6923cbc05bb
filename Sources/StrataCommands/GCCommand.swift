import ArgumentParser
import StrataCore

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove least-recently-used layers until the limits hold.",
        discussion: """
            A layer in use by a running build is never removed, and a layer is removed only after \
            every layer built on it. Give at least one limit. Profiles can set the same limits in a \
            [gc] table, which `strata build` applies after each build.

            With --config, the limits come from a file holding a [gc] table as a profile's \
            (/etc/strata/gc.conf for the strata-gc.service that `make install` installs); limits \
            given as options override the file's.

            Example: strata gc --max-size 50G --max-age 30d
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Total size the layers may take: 500M, 20G, 1.5TiB.", valueName: "size"))
    var maxSize: String?

    @Option(name: .long, help: ArgumentHelp("Remove layers unused for longer than this: 12h, 30d, 2w.", valueName: "duration"))
    var maxAge: String?

    @Option(name: .long, help: ArgumentHelp("Keep at most this many layers, the most recently used.", valueName: "n"))
    var keepLast: Int?

    @Option(name: .long, help: ArgumentHelp("Read the limits from this file's [gc] table (e.g. /etc/strata/gc.conf).", valueName: "file"))
    var config: String?

    @Flag(name: .long, help: "Say what would be removed; remove nothing.")
    var dryRun = false

    func validate() throws {
        if maxSize == nil && maxAge == nil && keepLast == nil && config == nil {
            throw ValidationError("give at least one of --max-size, --max-age, --keep-last, or --config")
        }
        if let maxSize, Quantity.bytes(maxSize) == nil { throw ValidationError("--max-size '\(maxSize)' is not a size; write e.g. 20G or 500M") }
        if let maxAge, Quantity.seconds(maxAge) == nil { throw ValidationError("--max-age '\(maxAge)' is not a duration; write e.g. 30d or 12h") }
        if let keepLast, keepLast < 0 { throw ValidationError("--keep-last must be 0 or more") }
    }

    func run() throws {
        try global.handlingErrors {
            var policy = try config.map { path throws(StrataError) in try ProfileLoader.gcPolicy(configuration: path) } ?? GCPolicy()
            if let maxSize { policy.maxSize = Quantity.bytes(maxSize) }
            if let maxAge { policy.maxAge = Quantity.seconds(maxAge) }
            if let keepLast { policy.keepLast = keepLast }
            let report = try GarbageCollector(store: try global.openStore()).collect(policy, dryRun: dryRun)
            try Output(json: global.json).print(report) {
                let verb = dryRun ? "would remove" : "removed"
                var lines = report.removed.map { "\(verb) \($0.key.hex)  \(Quantity.human(bytes: $0.sizeBytes))\($0.damaged.map { "  (damaged: \($0))" } ?? "")" }
                lines.append("\(verb) \(report.removed.count) layer(s), \(dryRun ? "would free" : "freed") \(Quantity.human(bytes: report.freedBytes)); \(report.remainingLayers) layer(s), \(Quantity.human(bytes: report.remainingBytes)) remain")
                for key in report.inUse { lines.append("kept \(key.hex): in use by a running build") }
                if !report.limitsHold { lines.append("the limits do not hold yet: layers in use (or their parents) were kept") }
                return lines.joined(separator: "\n")
            }
        }
    }
}
