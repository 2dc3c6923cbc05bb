import Foundation
import Glibc
import Testing

/// strata killed at every phase: nothing stays mounted or running, nothing
/// partial is ever used, and the next run cleans up and succeeds.
@Suite(.needsRoot) struct CrashTests {
    /// As root, and rootless (as a user made for the test).
    @Test(arguments: ["resolve", "install", "rename", "build", "teardown"], [false, true])
    func sigkillAtEveryPhaseLeavesNothingBehind(point: String, rootless: Bool) throws {
        let user = rootless ? try TestUser() : nil
        let sandbox = try Sandbox(user: user)
        let pauseFile = sandbox.work + "/paused"
        let strata = try sandbox.start(sandbox.buildArguments("hello"),
                                       environment: ["STRATA_TEST_PAUSE_AT": point, "STRATA_TEST_PAUSE_FILE": pauseFile])
        let paused = eventually(within: 60) { FileManager.default.fileExists(atPath: pauseFile) }
        #expect(paused, "strata never reached \(point): \(sandbox.finish(strata).stderr)")
        let namespace = try #require(Sandbox.mountNamespace(of: strata.processIdentifier))
        kill(strata.processIdentifier, SIGKILL)
        strata.waitUntilExit()

        #expect(eventually(within: 20) { processesRootedIn(sandbox.store).isEmpty }, "processes left: \(processesRootedIn(sandbox.store))")
        if let user {
            #expect(eventually(within: 20) { user.processes.isEmpty }, "processes of \(user.name) left: \(user.processes)")
        }
        #expect(eventually(within: 20) { Sandbox.processes(inMountNamespace: namespace).isEmpty },
                "strata's mount namespace, and its mounts, outlived it: \(Sandbox.processes(inMountNamespace: namespace))")
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
        // Killed before the install ran (resolve) or after its layer was kept
        // (build, teardown): one install in all. Killed after the install but
        // before the rename (install, rename): the layer was lost and installed again.
        let expectedInstalls = ["install": 2, "rename": 2][point] ?? 1
        #expect(sandbox.installRuns == expectedInstalls)
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func sigtermAndSigintEndTheBuildTearDownAndExit(signal: Int32, expected: Int32) throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.build("hello").status == 0)
        try sandbox.writeBuildScript("#!/bin/sh\necho started > /srv/log/started\nsleep 600 & sleep 600\n", for: "hello")
        let strata = try sandbox.start(sandbox.buildArguments("hello"), environment: ["STRATA_TEST_MOUNTINFO": sandbox.work + "/table"])
        #expect(eventually(within: 60) { FileManager.default.fileExists(atPath: sandbox.log + "/started") })
        kill(strata.processIdentifier, signal)
        let run = sandbox.finish(strata)
        #expect(run.status == expected, "\(run.stderr)")
        #expect(run.stderr.contains("interrupted"))
        let table = try String(contentsOfFile: sandbox.work + "/table", encoding: .utf8)
        #expect(sandbox.mounts(underStoreIn: table) == [], "strata exited with mounts inside its namespace")
        #expect(sandbox.entries(sandbox.store + "/builds") == [])
        #expect(eventually(within: 20) { processesRootedIn(sandbox.store).isEmpty }, "the build's processes outlived strata")
    }
}

@Suite(.needsRoot) struct ImageCrashTests {
    @Test func aKilledImportLeavesNoImageAndIsSweptByTheNextRun() throws {
        let sandbox = try Sandbox()
        let pauseFile = sandbox.work + "/paused"
        let strata = try sandbox.start(["image", "import", "half", sandbox.work + "/rootfs"],
                                       environment: ["STRATA_TEST_PAUSE_AT": "import", "STRATA_TEST_PAUSE_FILE": pauseFile])
        #expect(eventually(within: 60) { FileManager.default.fileExists(atPath: pauseFile) })
        let namespace = try #require(Sandbox.mountNamespace(of: strata.processIdentifier))
        kill(strata.processIdentifier, SIGKILL)
        strata.waitUntilExit()

        #expect(!sandbox.entries(sandbox.store + "/images").contains("half"))
        #expect(sandbox.entries(sandbox.store + "/images").contains { $0.hasPrefix(".tmp-") }, "the killed import's temporary")
        #expect(try sandbox.strata(["image", "inspect", "half"]).status == 2)

        let next = try sandbox.strata(["image", "import", "whole", sandbox.work + "/rootfs"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(sandbox.entries(sandbox.store + "/images") == ["demo-base", "whole"])
    }

    @Test func anImageWithADamagedImageJSONCanStillBeRemoved() throws {
        let sandbox = try Sandbox()
        try "{ not json".write(toFile: sandbox.store + "/images/demo-base/image.json", atomically: true, encoding: .utf8)
        let inspect = try sandbox.strata(["image", "inspect", "demo-base"])
        #expect(inspect.status == 4)
        #expect(inspect.stderr.contains("is damaged") && inspect.stderr.contains("strata image rm demo-base"))
        let rm = try sandbox.strata(["image", "rm", "demo-base"])
        #expect(rm.status == 0, "\(rm.stderr)")
        #expect(sandbox.entries(sandbox.store + "/images") == [])
    }
}
