import ArgumentParser
import StrataCore

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a package in a fresh scratch root over its base and dependency layers.",
        discussion: """
            Resolves the build dependencies in a throwaway overlay, reuses the dependency layer \
            with the same key or creates it, runs the build command in a scratch overlay, copies \
            [build] output to --output, and tears every mount down.

            Example: strata build --profile bookworm --output ./out ~/src/hello-2.10
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Profile name or path to a .toml file.", valueName: "name"))
    var profile: String

    @Option(name: .long, help: ArgumentHelp("Where the artifacts go (default: the current directory).", valueName: "dir"))
    var output: String = "."

    @Flag(name: .long, help: "Keep the scratch upper of a failed build and say where it is.")
    var keepFailed = false

    @Option(name: .long, help: ArgumentHelp("Parallel jobs for the build command: sets STRATA_JOBS for it (not part of any key).", valueName: "n"))
    var jobs: Int?

    @Option(name: .long, help: ArgumentHelp("A variable for the build command only, over [build.env]; repeatable; in no key.", valueName: "name=value"))
    var env: [String] = []

    @Flag(name: .long, help: "When the profile has [update] and no update layer exists for it, run strata update first.")
    var updateIfMissing = false

    @Option(name: .long, help: ArgumentHelp("A registry repository to pull a missing deps layer from before building it.", valueName: "ref"))
    var cacheFrom: String?

    @Option(name: .long, help: ArgumentHelp("A registry repository to push the build's layers to, when it lacks them.", valueName: "ref"))
    var cacheTo: String?

    @Flag(name: .long, help: "Run the resolver even when [deps] inputs are unchanged, and renew the cached resolution.")
    var noResolveCache = false

    @Argument(help: ArgumentHelp("The unpacked source tree of the package.", valueName: "source-dir"))
    var source: String

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be 1 or more") }
    }

    func run() throws {
        try global.handlingErrors {
            var options = BuildOptions(output: output, keepFailed: keepFailed, jobs: jobs, cacheFrom: cacheFrom, cacheTo: cacheTo,
                                       resolveCache: !noResolveCache)
            options.buildEnvironment = try BuildOptions.variables(env)
            options.updateIfMissing = updateIfMissing
            let workflow = try global.workflow(profile: profile, options)
            let result = try workflow.build(source: source)
            let output = Output(json: global.json)
            if let collected = result.collected, !collected.removed.isEmpty {
                output.note("gc ([gc] of \(workflow.profile.path)): removed \(collected.removed.count) layer(s), freed \(Quantity.human(bytes: collected.freedBytes))")
            }
            try output.print(result.report) { BuildSummary(report: result.report).text }
            if !result.report.succeeded { throw ExitCode(1) }
        }
    }
}

/// The human summary of a build.
struct BuildSummary {
    let report: BuildReport

    var text: String {
        var lines = ["strata build of \(report.source) with profile \(report.profile)"]
        if let resolution = report.resolution { lines.append("  \(resolution.summary)") }
        for layer in report.layers {
            var state = switch layer.origin {
            case .store: "reused"
            case .built: "created"
            case .pulled: "pulled"
            }
            if let lower = layer.standsOn { state += " on \(lower.short)…" + (layer.added.map { " (+\($0) packages)" } ?? "") }
            if let pushed = layer.pushed { state += pushed ? ", in the cache" : ", not pushed" }
            let count = layer.dependencies.map { " (\($0) dependencies)" } ?? ""
            lines.append("  \(layer.role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(layer.key.hex)  \(state)\(count)")
            if let explanation = layer.explanation { lines.append("         \(explanation.summary)") }
        }
        if report.succeeded {
            let list = report.artifacts.isEmpty ? "no artifacts" : "\(report.artifacts.count) artifact(s) in \(report.output): \(report.artifacts.joined(separator: ", "))"
            lines.append("  build succeeded; \(list)")
        } else {
            lines.append("  build FAILED with exit status \(report.build.exitCode)")
            if let kept = report.keptScratch { lines.append("  the scratch layer was kept at \(kept)") }
        }
        lines += (report.warnings ?? []).map { "  warning: \($0)" }
        let t = report.timings
        lines.append("  timings: resolve \(t.resolve) ms, layer \(t.layer) ms, setup \(t.setup) ms, build \(t.build) ms, teardown \(t.teardown) ms")
        return lines.joined(separator: "\n")
    }
}
