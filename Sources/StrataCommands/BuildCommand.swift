import ArgumentParser
import Foundation
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

    @Option(name: .long, help: ArgumentHelp("A registry repository to pull a missing deps layer from before building it.", valueName: "ref"))
    var cacheFrom: String?

    @Option(name: .long, help: ArgumentHelp("A registry repository to push the build's layers to, when it lacks them.", valueName: "ref"))
    var cacheTo: String?

    @Argument(help: ArgumentHelp("The unpacked source tree of the package.", valueName: "source-dir"))
    var source: String

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be 1 or more") }
    }

    func run() throws {
        try global.handlingErrors {
            let report = try BuildRunner(global: global).build(
                profile: profile, source: source, output: output, keepFailed: keepFailed, jobs: jobs,
                cache: BuildCache(from: cacheFrom, to: cacheTo))
            Output(json: global.json).print(report) { BuildSummary(report: report).text }
            if !report.succeeded { throw ExitCode(1) }
        }
    }
}

/// The steps of `strata build`, shared with `plan` and `shell`.
struct BuildRunner {
    let global: GlobalOptions

    func session(profile reference: String) throws(StrataError) -> BuildSession {
        let profile = try ProfileLoader.standard(environment: global.environment).load(reference)
        try Host.prepareForMounts()
        let session = try BuildSession(store: try global.openStore(), profile: profile, logger: global.logger())
        session.lockTimeout = global.lockTimeoutSeconds
        return session
    }

    func build(profile reference: String, source: String, output: String, keepFailed: Bool, jobs: Int?,
               cache: BuildCache = BuildCache()) throws(StrataError) -> BuildReport {
        let session = try session(profile: reference)
        if let jobs { session.buildEnvironment["STRATA_JOBS"] = String(jobs) }
        session.cacheFrom = try cache.from.map { ref throws(StrataError) in try global.registryCache(ref, store: session.store) }
        var report: BuildReport
        do {
            defer { session.close() }
            var timings = BuildReport.Timings()
            var clock = ContinuousClock.now
            let plan = try session.plan(source: source)
            timings.resolve = milliseconds(since: clock)
            clock = ContinuousClock.now
            let (ready, created) = try session.prepareLayers(plan)
            timings.layer = milliseconds(since: clock)
            report = try session.build(ready, output: output, keepFailed: keepFailed, timings: timings, created: created)
        }
        if let to = cache.to {
            try push(&report, to: try global.registryCache(to, store: session.store))
        }
        if !session.profile.gc.isEmpty {
            let collected = try GarbageCollector(store: session.store).collect(session.profile.gc, dryRun: false)
            if !collected.removed.isEmpty {
                Output(json: global.json).note("gc ([gc] of \(session.profile.path)): removed \(collected.removed.count) layer(s), freed \(Quantity.human(bytes: collected.freedBytes))")
            }
        }
        return report
    }

    /// --cache-to: pushes the deps layer (with the layers under it) after
    /// the build, whatever its outcome: the layer is good either way. A
    /// failed push is a warning; the build's result stands.
    private func push(_ report: inout BuildReport, to cache: RegistryCache) throws(StrataError) {
        guard let top = report.layers.last(where: { $0.role != .base }) else { return }
        do {
            let pushed = try cache.push(top.key)
            let keys = Set(pushed.layers.map(\.key))
            for index in report.layers.indices where keys.contains(report.layers[index].key) {
                report.layers[index].pushed = true
            }
        } catch {
            if case .interrupted = error.category { throw error }
            for index in report.layers.indices where report.layers[index].role != .base { report.layers[index].pushed = false }
            report.warnings = (report.warnings ?? []) + ["--cache-to \(cache.reference): \(error.message)"]
        }
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// The human summary of a build.
struct BuildSummary {
    let report: BuildReport

    var text: String {
        var lines = ["strata build of \(report.source) with profile \(report.profile)"]
        for layer in report.layers {
            var state = ["store": "reused", "built": "created", "pulled": "pulled"][layer.origin.rawValue] ?? ""
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

/// --cache-from and --cache-to, as given.
struct BuildCache {
    var from: String?
    var to: String?
}
