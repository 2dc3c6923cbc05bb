import Foundation
import Glibc
import Testing

/// Many builds at once: one install per missing layer, no waiting between
/// builds that need different layers.
@Suite(.needsRoot) struct ConcurrencyTests {
    @Test func eightBuildsOfTheSameSetInstallOnce() throws {
        let sandbox = try Sandbox()
        // A slow install widens the window in which the builds race for the layer.
        try sandbox.editProfile { $0.replacingOccurrences(of: "echo run >> /srv/log/installs &&", with: "echo run >> /srv/log/installs && sleep 1 &&") }
        let packages = (1...8).map { "pkg\($0)" }
        for package in packages { try sandbox.addPackage(package, buildDepends: "greet pkgtool\n") }
        let processes = try packages.map { try sandbox.start(sandbox.buildArguments($0)) }
        let runs = processes.map { sandbox.finish($0) }
        for (package, run) in zip(packages, runs) {
            #expect(run.status == 0, "\(package): \(run.stderr)")
        }
        #expect(sandbox.installRuns == 1, "the install command ran \(sandbox.installRuns) times")
        let layers = sandbox.entries(sandbox.store + "/layers")
        #expect(layers.count == 1, "\(layers)")
        let created = try runs.map { run -> Bool in
            let deps = try #require((try run.json()["layers"] as? [[String: Any]])?.last)
            return deps["reused"] as? Bool == false
        }
        #expect(created.filter { $0 }.count == 1, "exactly one build reports the layer as created")
        for package in packages {
            #expect(FileManager.default.fileExists(atPath: sandbox.work + "/out-\(package)/\(package)_1.0.pkg"))
        }
        for run in runs { try sandbox.expectTornDown(run) }
    }

    @Test func buildsOfDifferentSetsInstallAtTheSameTime() throws {
        let sandbox = try Sandbox()
        // Each install logs when it starts and ends, from the kernel's uptime clock.
        try sandbox.editProfile {
            $0.replacingOccurrences(
                of: "echo run >> /srv/log/installs &&",
                with: "echo run >> /srv/log/installs && echo \\\"start $(cut -d' ' -f1 /proc/uptime)\\\" >> /srv/log/$(head -c 12 $STRATA_DEPS_FILE | tr -c a-z0-9 _) && sleep 2 && echo \\\"end $(cut -d' ' -f1 /proc/uptime)\\\" >> /srv/log/$(head -c 12 $STRATA_DEPS_FILE | tr -c a-z0-9 _) &&")
        }
        try sandbox.addPackage("tools-only", buildDepends: "pkgtool\n")
        let first = try sandbox.start(sandbox.buildArguments("hello"))
        let second = try sandbox.start(sandbox.buildArguments("tools-only"))
        let runs = [sandbox.finish(first), sandbox.finish(second)]
        for run in runs { #expect(run.status == 0, "\(run.stderr)") }
        #expect(sandbox.installRuns == 2)
        let intervals = try sandbox.entries(sandbox.log).filter { $0 != "installs" }.map { name -> (Double, Double) in
            let lines = try String(contentsOfFile: sandbox.log + "/" + name, encoding: .utf8).split(separator: "\n")
            let start = try #require(Double(lines.first { $0.hasPrefix("start ") }?.dropFirst(6) ?? ""))
            let end = try #require(Double(lines.first { $0.hasPrefix("end ") }?.dropFirst(4) ?? ""))
            return (start, end)
        }
        try #require(intervals.count == 2, "expected two install logs, got \(sandbox.entries(sandbox.log))")
        let (a, b) = (intervals[0], intervals[1])
        #expect(a.0 < b.1 && b.0 < a.1, "the installs did not overlap: \(intervals)")
    }

    @Test func aLockWaitTimesOutWithExitFourNamingTheHolder() throws {
        let sandbox = try Sandbox()
        let pauseFile = sandbox.work + "/paused"
        let holder = try sandbox.start(sandbox.buildArguments("hello"),
                                       environment: ["STRATA_TEST_PAUSE_AT": "install", "STRATA_TEST_PAUSE_FILE": pauseFile])
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        #expect(eventually(within: 60) { FileManager.default.fileExists(atPath: pauseFile) })

        let waiter = try sandbox.strata(["--lock-timeout", "1", "build", "--profile", sandbox.profile,
                                         "--output", sandbox.work + "/out", sandbox.source("goodbye")])
        #expect(waiter.status == 4, "\(waiter.stderr)")
        #expect(waiter.stderr.contains("timed out after 1 s waiting for deps layer"))
        #expect(waiter.stderr.contains("held by pid \(holder.processIdentifier)"), "\(waiter.stderr)")
        try sandbox.expectTornDown(waiter, keptBuilds: 1)
    }
}
