import Foundation
import Glibc
import Testing

/// strata killed at every phase: nothing stays mounted or running, nothing
/// partial is ever used, and the next run cleans up and succeeds.
@Suite struct CrashTests {
    @Test(arguments: ["resolve", "install", "rename", "build", "teardown"])
    func sigkillAtEveryPhaseLeavesNothingBehind(point: String) throws {
        let sandbox = try Sandbox()
        let pauseFile = sandbox.work + "/paused"
        let strata = try sandbox.start(sandbox.buildArguments("hello"),
                                       environment: ["STRATA_TEST_PAUSE_AT": point, "STRATA_TEST_PAUSE_FILE": pauseFile])
        let paused = eventually(within: 60) { FileManager.default.fileExists(atPath: pauseFile) }
        #expect(paused, "strata never reached \(point): \(sandbox.finish(strata).stderr)")
        kill(strata.processIdentifier, SIGKILL)
        strata.waitUntilExit()

        #expect(eventually(within: 20) { processesRootedIn(sandbox.store).isEmpty }, "processes left: \(processesRootedIn(sandbox.store))")
        #expect(try sandbox.hostMountsUnderStore() == [])
        let layers = sandbox.entries(sandbox.store + "/layers")
        let finished = layers.filter { !$0.hasPrefix(".") }
        if ["resolve", "install", "rename"].contains(point) {
            #expect(finished == [], "a layer appeared although strata died before its rename: \(layers)")
        } else {
            #expect(finished.count == 1)
            #expect(FileManager.default.fileExists(atPath: sandbox.store + "/layers/\(finished[0])/manifest.json"))
        }

        let next = try sandbox.build("hello")
        #expect(next.status == 0, "\(next.stderr)")
        try sandbox.expectTornDown(next)
        #expect(sandbox.entries(sandbox.store + "/layers").filter { $0.hasPrefix(".tmp-") } == [], "leftover temporary layers")
        #expect(sandbox.entries(sandbox.store + "/layers").count == 1)
        let installs = sandbox.installRuns
        #expect(installs == (["build", "teardown"].contains(point) ? 1 : 2) || (point == "resolve" && installs == 1))
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func sigtermAndSigintEndTheBuildTearDownAndExit(signal: Int32, expected: Int32) throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.build("hello").status == 0)
        try "#!/bin/sh\necho started > /srv/log/started\nsleep 600 & sleep 600\n".write(
            toFile: sandbox.source("hello") + "/build.sh", atomically: true, encoding: .utf8)
        let strata = try sandbox.start(sandbox.buildArguments("hello"), environment: ["STRATA_TEST_MOUNTINFO": sandbox.work + "/table"])
        #expect(eventually(within: 60) { FileManager.default.fileExists(atPath: sandbox.log + "/started") })
        kill(strata.processIdentifier, signal)
        let run = sandbox.finish(strata)
        #expect(run.status == expected, "\(run.stderr)")
        #expect(run.stderr.contains("interrupted"))
        let table = try String(contentsOfFile: sandbox.work + "/table", encoding: .utf8)
        #expect(sandbox.mounts(underStoreIn: table) == [], "strata exited with mounts inside its namespace")
        #expect(try sandbox.hostMountsUnderStore() == [])
        #expect(sandbox.entries(sandbox.store + "/builds") == [])
        #expect(eventually(within: 20) { processesRootedIn(sandbox.store).isEmpty }, "the build's processes outlived strata")
    }
}
