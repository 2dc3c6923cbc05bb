import Foundation
import Glibc
import Testing

/// The tester-core side of autopkgtest's virtualisation-server protocol, as
/// autopkgtest speaks it: `strata virt-server` on two pipes, one request
/// line out, one answer line in. Ends the server (by closing its input)
/// when it goes away, if the test did not.
final class VirtClient {
    let process: Process
    private let requests: FileHandle
    private let answers: FileHandle
    private let sandbox: Sandbox
    private let errorFile: String
    private let mountInfo: String
    private var pending: [UInt8] = []

    init(_ sandbox: Sandbox, _ options: [String] = []) throws {
        self.sandbox = sandbox
        let name = UUID().uuidString
        errorFile = sandbox.work + "/virt-\(name).err"
        mountInfo = sandbox.work + "/virt-\(name).mountinfo"
        let (program, arguments) = sandbox.command(["virt-server", "--profile", sandbox.profile] + options)
        process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["STRATA_STORE"] = sandbox.store
        environment["STRATA_TEST_MOUNTINFO"] = mountInfo
        process.environment = sandbox.user?.environment(environment) ?? environment
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        FileManager.default.createFile(atPath: errorFile, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        requests = input.fileHandleForWriting
        answers = output.fileHandleForReading
        try process.run()
    }

    deinit {
        if process.isRunning {
            try? requests.close()
            process.waitUntilExit()
        }
    }

    /// Sends one line and returns the answer line (nil: the server ended).
    @discardableResult
    func send(_ line: String) throws -> String? {
        try requests.write(contentsOf: Data((line + "\n").utf8))
        return readLine()
    }

    /// Sends one line without waiting for an answer.
    func write(_ line: String) throws {
        try requests.write(contentsOf: Data((line + "\n").utf8))
    }

    /// The next line the server writes; nil at end of its output.
    func readLine() -> String? {
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            let chunk = answers.availableData
            if chunk.isEmpty { return nil }
            pending += chunk
        }
    }

    /// `open`, with the answer checked; returns the scratch space.
    func open() throws -> String {
        let answer = try #require(try send("open"), "virt-server ended at open: \(stderr)")
        let words = answer.split(separator: " ").map(String.init)
        try #require(words.count == 2 && words[0] == "ok", "open answered '\(answer)': \(stderr)")
        return words[1]
    }

    /// print-execute-command's argument vector, decoded as autopkgtest does.
    func executeCommand() throws -> [String] {
        let answer = try #require(try send("print-execute-command"))
        let words = answer.split(separator: " ")
        try #require(words.count == 2 && words[0] == "ok", "print-execute-command answered '\(answer)'")
        return words[1].split(separator: ",").map { String($0).removingPercentEncoding ?? String($0) }
    }

    /// Starts `command` in the testbed as autopkgtest does (the execute
    /// command with the command appended, as the server's user), without
    /// waiting for it; standard streams not given go nowhere.
    func start(_ command: [String], stdin: Pipe? = nil, stdout: Pipe? = nil, stderr: Pipe? = nil) throws -> Process {
        let prefix = try executeCommand()
        let process = Process()
        let (program, arguments) = sandbox.user?.command(prefix[0], Array(prefix.dropFirst()) + command)
            ?? (prefix[0], Array(prefix.dropFirst()) + command)
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `command` in the testbed to its end, `input` on its stdin.
    func execute(_ command: [String], input: String = "") throws -> Sandbox.Run {
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        let process = try start(command, stdin: stdin, stdout: stdout, stderr: stderr)
        try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Sandbox.Run(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                           stderr: String(decoding: err, as: UTF8.self), mountTable: "")
    }

    /// Closes the server's input (unless `closingInput` is false: the
    /// server must end by itself) and waits for it: how it ended, with its
    /// mount table at exit.
    func finish(closingInput: Bool = true) throws -> Sandbox.Run {
        if closingInput { try? requests.close() }
        process.waitUntilExit()
        return Sandbox.Run(status: process.terminationStatus, stdout: "", stderr: stderr,
                           mountTable: (try? String(contentsOfFile: mountInfo, encoding: .utf8)) ?? "")
    }

    var stderr: String { (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "" }
}
