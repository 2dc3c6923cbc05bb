import Foundation
import Glibc
import Testing

/// `strata virt-server` driven through autopkgtest's protocol, as autopkgtest
/// and sbuild drive it: every request they use, the protocol's errors, a
/// copy that times out and a command ended by the client's timeout.
@Suite(.needsRoot) struct VirtServerTests {
    @Test func openCommandCopyRevertCloseQuit() throws {
        let sandbox = try Sandbox()
        let client = try VirtClient(sandbox)
        #expect(client.readLine() == "ok", "the greeting: \(client.stderr)")
        let capabilities = try #require(try client.send("capabilities")).split(separator: " ").map(String.init)
        #expect(capabilities.first == "ok")
        for capability in ["revert", "root-on-testbed", "isolation-container"] {
            #expect(capabilities.contains(capability), "capabilities: \(capabilities)")
        }
        let scratch = try client.open()
        #expect(scratch == "/tmp/autopkgtest-strata")

        // A command: its stdin, stdout, stderr and exit status pass through; it runs as root.
        let run = try client.execute(["sh", "-c", "id -u; cat; echo to-stderr >&2; exit 3"], input: "from stdin\n")
        #expect(run.status == 3)
        #expect(run.stdout == "0\nfrom stdin\n")
        #expect(run.stderr == "to-stderr\n")
        #expect(try client.execute(["test", "-d", scratch]).status == 0, "the scratch space must exist")

        // copydown of a file (the executable bit kept) and of a directory.
        let host = sandbox.work + "/host"
        try FileManager.default.createDirectory(atPath: host + "/tree/sub", withIntermediateDirectories: true)
        try "a file\n".write(toFile: host + "/script", atomically: true, encoding: .utf8)
        chmod(host + "/script", 0o755)
        try "deep\n".write(toFile: host + "/tree/sub/deep", atomically: true, encoding: .utf8)
        #expect(try client.send("copydown \(host)/script \(scratch)/script") == "ok")
        #expect(try client.send("copydown \(host)/tree/ \(scratch)/tree/") == "ok")
        let listed = try client.execute(["sh", "-c", "cat \(scratch)/script \(scratch)/tree/sub/deep; test -x \(scratch)/script && echo executable"])
        #expect(listed.stdout == "a file\ndeep\nexecutable\n", "\(listed.stderr)")

        // copyup of what a command made, a file and a directory; paths URL-encoded.
        let made = try client.execute(["sh", "-c", "mkdir -p '\(scratch)/out dir/sub' && echo made > '\(scratch)/out dir/sub/file' && echo one > \(scratch)/one"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try client.send("copyup \(scratch)/out%20dir/ \(host)/up%20dir/") == "ok")
        #expect(try String(contentsOfFile: host + "/up dir/sub/file", encoding: .utf8) == "made\n")
        #expect(try client.send("copyup \(scratch)/one \(host)/one") == "ok")
        #expect(try String(contentsOfFile: host + "/one", encoding: .utf8) == "one\n")
        #expect(try client.send("copyup \(scratch)/missing \(host)/missing") == "copy-failed")
        // A host FIFO (opening it would wait for a writer forever) and a path cut by a NUL are refused.
        #expect(mkfifo(host + "/fifo", 0o600) == 0)
        #expect(try client.send("copydown \(host)/fifo \(scratch)/fifo-copy") == "copy-failed")
        #expect(try client.send("copyup \(scratch)/one \(host)/fifo") == "copy-failed")
        #expect(try client.send("copydown \(host)/script%00/../x \(scratch)/x") == "copy-failed")

        // revert: a fresh root, the scratch space again and empty, the installed changes gone.
        #expect(try client.execute(["sh", "-c", "echo changed > /etc/changed"]).status == 0)
        #expect(try client.send("revert") == "ok \(scratch)")
        #expect(try client.execute(["ls", "-A", scratch]).stdout == "")
        #expect(try client.execute(["test", "-e", "/etc/changed"]).status == 1, "revert left a change to the root")

        #expect(try client.send("close") == "ok")
        #expect(entries(sandbox.store + "/builds") == [], "close left the testbed's directory")
        #expect(try client.open() == scratch, "a closed testbed opens again")
        #expect(try client.send("quit") == "ok")
        let ended = try client.finish()
        #expect(ended.status == 0, "\(ended.stderr)")
        try sandbox.expectTornDown(ended)
    }

    /// Each request the protocol does not allow: the reason on stderr, the
    /// testbed closed and removed, exit 12 (as autopkgtest's own servers), never a hang.
    @Test(arguments: [
        ("frobnicate", "unknown command `frobnicate'"),
        ("capabilities extra", "too many arguments to command `capabilities'"),
        ("copydown /etc/hostname", "too few arguments to command `copydown'"),
        ("copydown /etc/ /tmp/autopkgtest-strata/x", "must agree about directoryness"),
        ("open", "`open' when already open"),
        ("reboot", "`reboot' when `reboot' not advertised"),
    ])
    func aRequestOutsideTheProtocolEndsTheServer(request: String, message: String) throws {
        let sandbox = try Sandbox()
        let client = try VirtClient(sandbox)
        #expect(client.readLine() == "ok")
        try client.write("   ")  // a blank line: ignored, no answer
        _ = try client.open()
        let answer = try client.send(request)
        #expect(answer == nil, "answered '\(answer ?? "")' to '\(request)'")
        let ended = try client.finish()
        #expect(ended.status == 12)
        #expect(ended.stderr.contains(message), "\(ended.stderr)")
        try sandbox.expectTornDown(ended)
    }

    /// A line without end is refused once it passes 1 MiB (exit 12), not
    /// buffered forever.
    @Test func anEndlessLineEndsTheServer() throws {
        signal(SIGPIPE, SIG_IGN)  // the server stops reading: the rest of the write fails with EPIPE
        let sandbox = try Sandbox()
        let client = try VirtClient(sandbox)
        #expect(client.readLine() == "ok")
        _ = try client.open()
        try? client.write(String(repeating: "x", count: 3 << 20))
        let ended = try client.finish()
        #expect(ended.status == 12)
        #expect(ended.stderr.contains("a line of more than 1048576 bytes"), "\(ended.stderr)")
        try sandbox.expectTornDown(ended)
    }

    @Test func requestsBeforeOpenAndTheEndOfInput() throws {
        let sandbox = try Sandbox()
        for request in ["revert", "close", "print-execute-command", "copyup /a /b"] {
            let client = try VirtClient(sandbox)
            #expect(client.readLine() == "ok")
            #expect(try client.send(request) == nil)
            let ended = try client.finish()
            #expect(ended.status == 12)
            #expect(ended.stderr.contains("when not open"), "\(request): \(ended.stderr)")
        }
        // The client going away (end of input) closes the testbed.
        let client = try VirtClient(sandbox)
        #expect(client.readLine() == "ok")
        _ = try client.open()
        let ended = try client.finish()
        #expect(ended.status == 12)
        #expect(ended.stderr.contains("end of file"))
        try sandbox.expectTornDown(ended)
    }

    /// A copy that cannot end (a FIFO nobody writes) is ended after
    /// --copy-timeout and answered `timeout`; the testbed stays usable.
    @Test func aCopyThatHangsTimesOut() throws {
        let sandbox = try Sandbox()
        let client = try VirtClient(sandbox, ["--copy-timeout", "1s"])
        #expect(client.readLine() == "ok")
        let scratch = try client.open()
        #expect(try client.execute(["mkfifo", scratch + "/fifo"]).status == 0)
        #expect(try client.send("copyup \(scratch)/fifo \(sandbox.work)/fifo-copy") == "timeout")
        #expect(try client.execute(["echo", "still here"]).stdout == "still here\n")
        #expect(try client.send("quit") == "ok")
        let ended = try client.finish()
        #expect(ended.status == 0)
        try sandbox.expectTornDown(ended)
    }

    /// autopkgtest ends a command that outlives its timeout by sending
    /// SIGTERM to the execute command: the command and everything it
    /// started end with it.
    @Test func aCommandEndedByTheClientsTimeoutLeavesNothingRunning() throws {
        let sandbox = try Sandbox()
        let client = try VirtClient(sandbox)
        #expect(client.readLine() == "ok")
        _ = try client.open()
        let marker = "8\(Int.random(in: 100_000...999_999))"
        let output = Pipe()
        let process = try client.start(["sh", "-c", "sleep \(marker) & echo started; wait"], stdout: output)
        let started = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(started == "started\n")
        #expect(eventually(within: 10) { !processes(withArgument: marker).isEmpty }, "the command's child is not running")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(eventually(within: 10) { processes(withArgument: marker).isEmpty }, "the command's child outlived the timeout")
        #expect(try client.send("quit") == "ok")
        try sandbox.expectTornDown(try client.finish())
    }

    /// revert and close give the testbed back without the commands still
    /// running in it: each ends, with what it started.
    @Test(arguments: ["revert", "close", "quit"])
    func revertAndCloseEndTheCommandsStillRunning(request: String) throws {
        let sandbox = try Sandbox()
        let client = try VirtClient(sandbox)
        #expect(client.readLine() == "ok")
        _ = try client.open()
        let marker = "7\(Int.random(in: 100_000...999_999))"
        let process = try client.start(["sh", "-c", "sleep \(marker) & wait"])
        #expect(eventually(within: 10) { !processes(withArgument: marker).isEmpty }, "the command did not start")
        #expect(try client.send(request)?.hasPrefix("ok") == true)
        #expect(eventually(within: 10) { !process.isRunning }, "the execute command outlived \(request)")
        #expect(eventually(within: 10) { processes(withArgument: marker).isEmpty }, "a command outlived \(request)")
        if process.isRunning {  // the failure is reported above; nothing is left behind
            process.terminate()
            processes(withArgument: marker).forEach { kill($0, SIGKILL) }
        }
        if request != "quit" { #expect(try client.send("quit") == "ok") }
        try sandbox.expectTornDown(try client.finish())
    }

    @Test func theServerEndsOnSIGTERMAndTheExecuteCommandThenFails() throws {
        let sandbox = try Sandbox()
        let client = try VirtClient(sandbox)
        #expect(client.readLine() == "ok")
        _ = try client.open()
        let prefix = try client.executeCommand()
        kill(client.process.processIdentifier, SIGTERM)
        let ended = try client.finish(closingInput: false)
        #expect(ended.status == 128 + SIGTERM)
        try sandbox.expectTornDown(ended)
        let late = try Sandbox.shell(prefix[0], Array(prefix.dropFirst()) + ["true"])
        #expect(late.status == 255, "\(late.stderr)")
        #expect(late.stderr.contains("not the handle of an open strata testbed") || late.stderr.contains("not open any more"), "\(late.stderr)")
    }

    /// With --source, the deps layer of that source is in the testbed: the
    /// package's build dependencies are installed.
    @Test func theDepsLayerOfASourceIsStackedIn() throws {
        let sandbox = try Sandbox()
        let client = try VirtClient(sandbox, ["--source", sandbox.source("hello")])
        #expect(client.readLine() == "ok")
        _ = try client.open()
        #expect(try client.execute(["greet"]).status == 0, "greet (a build dependency of hello) is not in the testbed")
        #expect(try client.send("quit") == "ok")
        try sandbox.expectTornDown(try client.finish())

        let bare = try VirtClient(sandbox)
        #expect(bare.readLine() == "ok")
        _ = try bare.open()
        #expect(try bare.execute(["sh", "-c", "command -v greet"]).status != 0, "without --source the testbed has no deps layer")
        #expect(try bare.send("quit") == "ok")
        try sandbox.expectTornDown(try bare.finish())
    }

    private func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// Host pids whose command line has `argument`.
    private func processes(withArgument argument: String) -> [Int32] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == argument }
        }
    }
}
