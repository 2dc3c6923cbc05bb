// Build/ — one build from plan to teardown. BuildWorkflow is the front door
// (what `strata build`, `plan`, `shell`, `run` and `update` do); BuildSession runs
// the phases in files named after them (+Plan, +Layers, +Run, +Update) over
// BuildRoot's mounts. Plans and reports are values. May use: every other
// folder, StrataOS, Logging.

import Logging
import StrataOS

/// The library's front door: does what `strata build`, `plan`, `shell` and
/// `update` do — resolve, pull a missing layer from --cache-from, create,
/// build, push to --cache-to, apply the profile's [gc] — configured once by
/// a `BuildOptions`. The commands only parse arguments, call it and print.
/// Each call runs in its own `BuildSession`, closed before it returns.
/// Docs/library.md shows it in use.
public struct BuildWorkflow {
    public let store: Store
    public let profile: Profile
    public let options: BuildOptions
    let logger: Logger

    /// Checks the host (root, overlayfs) and enters a private mount
    /// namespace (`Host.prepareForMounts()`): every mount a workflow makes
    /// lives and dies with this process.
    public init(store: Store, profile: Profile, options: BuildOptions = BuildOptions(),
                logger: Logger = Logger(label: "strata")) throws(StrataError) {
        try Host.prepareForMounts()
        self.store = store
        self.profile = profile
        self.options = options
        self.logger = logger
    }

    /// `strata plan`: which layers a build of `source` would reuse or create.
    public func plan(source: String) throws(StrataError) -> PlanReport {
        try withSession { session throws(StrataError) in PlanReport(try session.plan(source: source)) }
    }

    /// `strata build`: plans, makes the missing layers, builds, pushes to
    /// --cache-to and applies the profile's [gc]. A failed build command is
    /// a report whose `succeeded` is false, not an error.
    public func build(source: String) throws(StrataError) -> BuildResult {
        let cacheFrom = try options.cacheFrom.map { reference throws(StrataError) in try registry(reference) }
        var updated: UpdateReport?
        if options.updateIfMissing, try withSession({ session throws(StrataError) in try session.updateLayerIsMissing() }) {
            logger.notice("no update layer for profile \(profile.name): running strata update first (--update-if-missing)")
            updated = try update()
        }
        var report = try withSession(cacheFrom: cacheFrom) { session throws(StrataError) in
            var clock = Stopwatch()
            let plan = try session.plan(source: source)
            let resolve = clock.elapsedMilliseconds
            clock = Stopwatch()
            let ready = try session.prepare(plan)
            let layer = clock.elapsedMilliseconds
            var report = try session.build(ready, output: options.output, keepFailed: options.keepFailed)
            report.timings.resolve = resolve
            report.timings.layer = layer
            return report
        } closing: { report, milliseconds in
            report.timings.teardown += milliseconds
        }
        if let updated {
            report.warnings = (report.warnings ?? []) + ["no update layer existed for the profile: made \(updated.key.short) first (--update-if-missing)"]
        }
        if let cacheTo = options.cacheTo {
            try push(&report, to: try registry(cacheTo))
        }
        var collected: GCReport?
        if options.collectGarbage && !profile.gc.isEmpty {
            collected = try GarbageCollector(store: store).collect(profile.gc, dryRun: false)
        }
        return BuildResult(report: report, collected: collected)
    }

    /// `strata shell`: an interactive shell over the layers of `source` (made
    /// when missing), or over the base and update layer alone. Returns its
    /// exit status.
    public func shell(source: String?) throws(StrataError) -> Int32 {
        try run(.shell, source: source)
    }

    /// `strata run`: a command in a fresh scratch root over the layers of
    /// `source` (made when missing, the source copied to /build/src), or over
    /// the base and update layer alone. Returns the command's exit status.
    public func run(_ command: RootCommand, source: String?) throws(StrataError) -> Int32 {
        try command.validate()
        return try withSession { session throws(StrataError) in
            guard let source else {
                let parents = try session.planParents()
                try session.recordUse(of: parents, package: nil)
                return try session.run(command, lowers: parents.lowers, source: nil)
            }
            let ready = try session.prepare(try session.plan(source: source))
            return try session.run(command, lowers: ready.lowers, source: ready.plan.source)
        }
    }

    /// `strata virt-server`'s testbed: a session over the layers of `source`
    /// (made when missing), or over the base and update layer alone, held
    /// until the testbed is closed. Not mounted yet: `Testbed.open()` does.
    public func testbed(source: String?, network: Bool, copyTimeout: Double) throws(StrataError) -> Testbed {
        let session = try makeSession()
        do {
            let lowers: [String]
            if let source {
                lowers = try session.prepare(try session.plan(source: source)).lowers
            } else {
                let parents = try session.planParents()
                try session.recordUse(of: parents, package: nil)
                lowers = parents.lowers
            }
            return Testbed(session: session, lowers: lowers, network: network, copyTimeout: copyTimeout)
        } catch {
            session.close()
            throw error
        }
    }

    /// `strata update`: brings the profile's base up to date in an update layer.
    public func update() throws(StrataError) -> UpdateReport {
        try withSession { session throws(StrataError) in try session.update() }
    }

    /// Runs `body` in a new session and closes the session once, whatever
    /// happens; `closing` learns how long closing took (a build's teardown).
    private func withSession<Result>(
        cacheFrom: RegistryCache? = nil,
        _ body: (BuildSession) throws(StrataError) -> Result,
        closing: (inout Result, Int) -> Void = { _, _ in }
    ) throws(StrataError) -> Result {
        let session = try makeSession(cacheFrom: cacheFrom)
        var result: Result
        do {
            result = try body(session)
        } catch {
            session.close()
            throw error
        }
        let clock = Stopwatch()
        session.close()
        closing(&result, clock.elapsedMilliseconds)
        return result
    }

    private func makeSession(cacheFrom: RegistryCache? = nil) throws(StrataError) -> BuildSession {
        var settings = BuildSession.Settings(lockTimeout: options.lockTimeout, useResolveCache: options.resolveCache,
                                             userNamespace: options.userNamespace)
        settings.buildEnvironment = options.buildEnvironment
        if let jobs = options.jobs { settings.buildEnvironment["STRATA_JOBS"] = String(jobs) }
        return try BuildSession(store: store, profile: profile, settings: settings, cacheFrom: cacheFrom, logger: logger)
    }

    private func registry(_ reference: String) throws(StrataError) -> RegistryCache {
        try RegistryCache(store: store, reference: reference, environment: options.environment, lockTimeout: options.lockTimeout)
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
}
