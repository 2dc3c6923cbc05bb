import Foundation
import Testing

/// `strata run`: one command in a fresh scratch root, its standard streams
/// and exit status passed through, with the options scripts need.
@Suite(.needsRoot) struct RunCommandTests {
    @Test func standardStreamsAndTheExitStatusPassThrough() throws {
        let sandbox = try Sandbox()
        let run = try sandbox.strata(["run", "--profile", sandbox.profile, "--", "sh", "-c", "cat; echo to-stderr >&2; exit 7"],
                                     input: "from stdin\n")
        #expect(run.status == 7)
        #expect(run.stdout == "from stdin\n")
        #expect(run.stderr.contains("to-stderr"))
        try sandbox.expectTornDown(run)
        let missing = try sandbox.strata(["run", "--profile", sandbox.profile, "--", "no-such-program"])
        #expect(missing.status == 127, "\(missing.stderr)")
        let killed = try sandbox.strata(["run", "--profile", sandbox.profile, "--", "sh", "-c", "kill -9 $$"])
        #expect(killed.status == 128 + 9)
        let absent = try sandbox.strata(["run", "--profile", sandbox.profile, "--", "/bin/no-such-program"])
        #expect(absent.status == 127, "\(absent.stderr)")
        let directory = try sandbox.strata(["run", "--profile", sandbox.profile, "--", "/etc"])
        #expect(directory.status == 126, "\(directory.stderr)")
        // Global options before the command are strata's, never the command's arguments.
        let global = try sandbox.strata(["--verbose", "--store", sandbox.store, "run", "--profile", sandbox.profile, "--", "echo", "B"])
        #expect(global.status == 0, "\(global.stderr)")
        #expect(global.stdout == "B\n", "a global option reached the command: \(global.stdout)")
    }

    @Test func withASourceTheCommandRunsInItsCopyOverItsDepsLayer() throws {
        let sandbox = try Sandbox()
        let run = try sandbox.strata(["run", "--profile", sandbox.profile, sandbox.source("hello"), "--",
                                      "sh", "-c", "pwd; cat build-depends; command -v greet; touch /build/src/made"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "/build/src\ngreet\npkgtool\n/usr/bin/greet\n")
        #expect(!FileManager.default.fileExists(atPath: sandbox.source("hello") + "/made"), "the command wrote into the host's source")
        // Without a source: the base alone, in /.
        let bare = try sandbox.strata(["run", "--profile", sandbox.profile, "--", "sh", "-c", "pwd; command -v greet || echo none"])
        #expect(bare.stdout == "/\nnone\n")
        try sandbox.expectTornDown(bare)
    }

    @Test func networkUserAndBind() throws {
        let sandbox = try Sandbox()
        let interfaces = try sandbox.strata(["run", "--profile", sandbox.profile, "--", "ls", "/sys/class/net"])
        #expect(interfaces.stdout == "lo\n", "the profile's network = false must hold by default")
        let shared = try sandbox.strata(["run", "--profile", sandbox.profile, "--network", "--", "ls", "/sys/class/net"])
        let host = try FileManager.default.contentsOfDirectory(atPath: "/sys/class/net").sorted()
        #expect(shared.stdout.split(separator: "\n").map(String.init).sorted() == host)

        let user = try sandbox.strata(["run", "--profile", sandbox.profile, "--user", "tester", "--", "sh", "-c", "id -un; echo $HOME"])
        #expect(user.stdout == "tester\n/build\n", "\(user.stderr)")

        let shared1 = sandbox.work + "/shared"
        try FileManager.default.createDirectory(atPath: shared1, withIntermediateDirectories: true)
        try "host file\n".write(toFile: shared1 + "/file", atomically: true, encoding: .utf8)
        let readOnly = try sandbox.strata(["run", "--profile", sandbox.profile, "--bind", shared1 + ":/mnt/shared:ro", "--",
                                           "sh", "-c", "cat /mnt/shared/file; touch /mnt/shared/new && echo wrote"])
        #expect(readOnly.stdout == "host file\n", "\(readOnly.stderr)")
        #expect(!FileManager.default.fileExists(atPath: shared1 + "/new"))
        let writable = try sandbox.strata(["run", "--profile", sandbox.profile, "--bind", shared1 + ":/mnt/shared", "--",
                                           "sh", "-c", "echo out > /mnt/shared/new"])
        #expect(writable.status == 0, "\(writable.stderr)")
        #expect(try String(contentsOfFile: shared1 + "/new", encoding: .utf8) == "out\n")
        try sandbox.expectTornDown(writable)
    }

    /// SIGHUP (a closed terminal or ssh session) tears down as SIGTERM does.
    @Test func aHangupTearsDown() throws {
        let sandbox = try Sandbox()
        let marks = sandbox.work + "/marks"
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        let process = try sandbox.start(["run", "--profile", sandbox.profile, "--bind", marks + ":/marks", "--",
                                         "sh", "-c", "touch /marks/started; exec sleep 600"])
        #expect(eventually(within: 30) { FileManager.default.fileExists(atPath: marks + "/started") })
        kill(process.processIdentifier, SIGHUP)
        let run = sandbox.finish(process)
        #expect(run.status == 128 + SIGHUP, "\(run.stderr)")
        try sandbox.expectTornDown(run)
    }

    @Test(arguments: [
        (["--bind", "/tmp:relative", "--", "true"], "--bind '/tmp:relative'"),
        (["--bind", "/nonexistent-strata:/mnt", "--", "true"], "/nonexistent-strata does not exist"),
        (["--bind", "/tmp:/mnt/../etc", "--", "true"], "may not contain '..'"),
        (["--bind", "/tmp:/proc/x", "--", "true"], "must not be at or under /proc"),
        ([] as [String], "give the command after --"),
        (["--user", "Root:0", "--", "true"], "--user 'Root:0': must start with a lowercase letter"),
    ])
    func badOptionsAreRefusedByName(arguments: [String], message: String) throws {
        let sandbox = try Sandbox()
        let run = try sandbox.strata(["run", "--profile", sandbox.profile] + arguments)
        #expect(run.status == 2)
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(sandbox.entries(sandbox.store + "/builds") == [])
    }
}
