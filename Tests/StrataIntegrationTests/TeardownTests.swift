import Foundation
import Glibc
import Testing

/// Whatever happens to a build, nothing stays mounted and nothing partial
/// is left in the store.
@Suite(.needsRoot) struct TeardownTests {
    @Test func successfulBuildsLeaveNothingMounted() throws {
        let sandbox = try Sandbox()
        let created = try sandbox.build("hello")
        #expect(created.status == 0, "\(created.stderr)")
        try sandbox.expectTornDown(created)
        let reused = try sandbox.build("hello")
        #expect(reused.status == 0)
        try sandbox.expectTornDown(reused)
    }

    @Test func aFailingInstallExitsThreeAndLeavesNoLayer() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile {
            $0.replacingOccurrences(of: "&& /srv/demo-repo/bin/install", with: "&& /srv/demo-repo/bin/install && mkdir -p /half/done && exit 7")
        }
        let run = try sandbox.build("hello")
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("install command"))
        #expect(run.stderr.contains("exited with status 7"))
        #expect(run.stderr.contains("discarded"))
        #expect(sandbox.entries(sandbox.store + "/layers") == [])
        try sandbox.expectTornDown(run)
    }

    @Test func aFailingResolverExitsThree() throws {
        let sandbox = try Sandbox()
        try FileManager.default.removeItem(atPath: sandbox.source("hello") + "/build-depends")
        try "no-such-package\n".write(toFile: sandbox.source("hello") + "/build-depends", atomically: true, encoding: .utf8)
        let run = try sandbox.build("hello")
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("no package 'no-such-package'"))
        #expect(sandbox.entries(sandbox.store + "/layers") == [])
        try sandbox.expectTornDown(run)
    }

    @Test func aFailingBuildExitsOneAndStillTearsDown() throws {
        let sandbox = try Sandbox()
        try sandbox.writeBuildScript("#!/bin/sh\necho broken >&2\nexit 9\n", for: "hello")
        let run = try sandbox.build("hello")
        #expect(run.status == 1, "\(run.stderr)")
        #expect((try run.json()["build"] as? [String: Any])?["exit_code"] as? Int == 9)
        try sandbox.expectTornDown(run)
        // The layer itself was fine and stays.
        #expect(sandbox.entries(sandbox.store + "/layers").count == 1)
    }

    @Test func keepFailedKeepsTheScratchUpperAndSaysWhere() throws {
        let sandbox = try Sandbox()
        try sandbox.writeBuildScript("#!/bin/sh\necho partial > partial.o\nexit 2\n", for: "hello")
        let run = try sandbox.build("hello", ["--keep-failed"])
        #expect(run.status == 1)
        let kept = try #require(try run.json()["kept_scratch"] as? String)
        #expect(kept.hasPrefix(sandbox.store + "/builds/"))
        #expect(FileManager.default.fileExists(atPath: kept + "/build/src/partial.o"))
        try sandbox.expectTornDown(run, keptBuilds: 1)

        // A kept build survives the next build's sweep of leftovers.
        #expect(try sandbox.build("goodbye").status == 0)
        #expect(FileManager.default.fileExists(atPath: kept + "/build/src/partial.o"))
    }

    @Test func sigkillDuringTheBuildLeavesNoMountAndNoProcess() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.build("hello").status == 0)
        try sandbox.writeBuildScript("#!/bin/sh\necho started > /srv/log/started\nsleep 600\n", for: "hello")
        let strata = try sandbox.start(["build", "--profile", sandbox.profile, "--output", sandbox.work + "/out", sandbox.source("hello")])
        let started = eventually(within: 60) { FileManager.default.fileExists(atPath: sandbox.log + "/started") }
        #expect(started, "the build command never started")
        let namespace = try #require(Sandbox.mountNamespace(of: strata.processIdentifier))
        kill(strata.processIdentifier, SIGKILL)
        strata.waitUntilExit()

        // The build's own processes die with strata (parent-death signal, then
        // the PID namespace), and no process keeps a root in the store.
        let gone = eventually(within: 20) { processesRootedIn(sandbox.store).isEmpty }
        #expect(gone, "processes still rooted in the store: \(processesRootedIn(sandbox.store))")
        #expect(eventually(within: 20) { Sandbox.processes(inMountNamespace: namespace).isEmpty },
                "strata's mount namespace, and its mounts, outlived it: \(Sandbox.processes(inMountNamespace: namespace))")
        #expect(sandbox.entries(sandbox.store + "/builds").count == 1, "the killed build's directory is left for the next run")

        try sandbox.writeBuildScript("#!/bin/sh\nset -eu\ngreet again > again.txt\npkgtool hello 1.0 again.txt\n", for: "hello")
        let next = try sandbox.build("hello")
        #expect(next.status == 0, "\(next.stderr)")
        try sandbox.expectTornDown(next)
    }
}

/// Pids whose root directory is inside `directory`.
func processesRootedIn(_ directory: String) -> [Int32] {
    let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    return pids.filter { pid in
        let root = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/root")) ?? ""
        return root.hasPrefix(directory)
    }
}
