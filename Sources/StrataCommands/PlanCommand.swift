import ArgumentParser
import StrataCore

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show which layers a build would reuse or create, without creating any.",
        discussion: """
            Runs the resolver (in a throwaway overlay) to compute every key. Exits 0 when \
            everything would be reused and 10 when at least one layer would be built.

            Example: strata plan --profile bookworm ~/src/hello-2.10 || echo "deps layer will be built"
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Profile name or path to a .toml file.", valueName: "name"))
    var profile: String

    @Flag(name: .long, help: "Run the resolver even when [deps] inputs are unchanged, and renew the cached resolution.")
    var noResolveCache = false

    @Argument(help: ArgumentHelp("The unpacked source tree of the package.", valueName: "source-dir"))
    var source: String

    func run() throws {
        try global.handlingErrors {
            let report = try global.workflow(profile: profile, BuildOptions(resolveCache: !noResolveCache)).plan(source: source)
            try Output(json: global.json).print(report) {
                var lines = ["strata plan for \(report.source) with profile \(report.profile)"]
                if let resolution = report.resolution { lines.append("  \(resolution.summary)") }
                for layer in report.layers {
                    let count = layer.dependencies.map { " (\($0) dependencies)" } ?? ""
                    let stack = layer.standsOn.map { " on \($0.short)…" + (layer.added.map { " (+\($0) packages)" } ?? "") } ?? ""
                    lines.append("  \(layer.role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(layer.key.hex)  \(layer.action.rawValue)\(stack)\(count)")
                    if let explanation = layer.explanation { lines.append("         \(explanation.summary)") }
                }
                let missing = report.layers.filter { !$0.reused }.count
                lines.append(missing == 0 ? "  every layer would be reused" : "  \(missing) layer(s) would be created")
                lines += report.warnings.map { "  warning: \($0)" }
                return lines.joined(separator: "\n")
            }
            if !report.reusesEverything { throw ExitCode(10) }
        }
    }
}
