import StrataOS

/// autopkgtest's virtualisation-server protocol (README.virtualisation-server
/// in Debian's autopkgtest package) on a line channel, over one `Testbed` at
/// a time. Requests and answers are as autopkgtest's own servers give them:
/// `ok` and its results; `copy-failed` or `timeout` for a copy; and for a
/// request the protocol does not allow (an unknown command, a wrong number of
/// arguments, a command in the wrong state) the testbed is closed, the
/// reason goes to standard error and the server exits 12.
public final class VirtServer {
    /// How `serve()` ended: the exit status and, for a failure, why.
    public struct Ending: Error {
        public var status: Int32
        public var message: String?

        public init(status: Int32, message: String? = nil) {
            self.status = status
            self.message = message
        }
    }

    /// The capabilities advertised: revert (a fresh scratch root), root in
    /// the testbed, and per-command namespaces.
    public static let capabilities = ["revert", "root-on-testbed", "isolation-container"]

    private let channel: LineChannel
    private let openTestbed: () throws(StrataError) -> Testbed
    /// The strata executable that runs commands in the testbed (`virt-exec`).
    private let strata: String
    private var testbed: Testbed?

    public init(channel: LineChannel, strata: String, openTestbed: @escaping () throws(StrataError) -> Testbed) {
        self.channel = channel
        self.strata = strata
        self.openTestbed = openTestbed
    }

    /// A server on this process's standard input and output: the protocol
    /// keeps standard output to itself (anything else written there goes to
    /// standard error), SIGHUP ends it as SIGTERM does, and commands reach
    /// the testbed through this same executable.
    public static func onStandardStreams(openTestbed: @escaping () throws(StrataError) -> Testbed) throws(StrataError) -> VirtServer {
        let output = try during("keep standard output for the protocol") { try CurrentProcess.reserveStandardOutput() }
        guard let strata = CurrentProcess.executablePath else {
            throw .environment("cannot find strata's own executable (/proc/self/exe)")
        }
        Termination.installForServer()
        return VirtServer(channel: LineChannel(input: 0, output: output), strata: strata, openTestbed: openTestbed)
    }

    /// Greets, answers requests until `quit`, end of input, a protocol error,
    /// a failing strata operation or a signal, and closes the testbed.
    public func serve() -> Ending {
        defer { closeTestbed() }
        do {
            try channel.writeLine("ok")
            while true {
                guard let line = try channel.readLine() else {
                    throw Ending(status: 12, message: "end of file - caller quit?")
                }
                guard let request = VirtRequest(line: line) else { continue }
                if request.command == "quit" {
                    try expect(request, arguments: 0)
                    closeTestbed()
                    // autopkgtest closes its end before it sends quit: the answer may find no reader.
                    try? channel.writeLine("ok")
                    return Ending(status: 0)
                }
                let answer = try answer(request)
                try channel.writeLine(answer.joined(separator: " "))
            }
        } catch {
            // A signal (SIGTERM, SIGINT, SIGHUP) wins over whatever it cut short:
            // the wait for a request, end of input, a copy.
            if let signal = Termination.signal {
                return Ending(status: 128 + signal, message: "stopped by \(Termination.name(of: signal))")
            }
            switch error {
            case let ending as Ending: return ending
            case let error as StrataError: return Ending(status: error.exitCode, message: error.message)
            // The channel failed: the client went away.
            default: return Ending(status: 12, message: "\(error)")
            }
        }
    }

    /// The answer's words, `ok` first for success.
    private func answer(_ request: VirtRequest) throws -> [String] {
        switch request.command {
        case "capabilities":
            try expect(request, arguments: 0)
            return ["ok"] + Self.capabilities
        case "open":
            try expect(request, arguments: 0)
            if testbed != nil { throw protocolError("`open' when already open") }
            let testbed = try openTestbed()
            do {
                let scratch = try testbed.open()
                self.testbed = testbed
                return ["ok", VirtRequest.encode(scratch)]
            } catch {
                testbed.close()
                throw error
            }
        case "revert":
            try expect(request, arguments: 0)
            let testbed = try opened(request)
            return ["ok", VirtRequest.encode(try testbed.revert())]
        case "close":
            try expect(request, arguments: 0)
            _ = try opened(request)
            closeTestbed()
            return ["ok"]
        case "print-execute-command":
            try expect(request, arguments: 0)
            let testbed = try opened(request)
            return ["ok", testbed.executeCommand(strata: strata).map(VirtRequest.encode).joined(separator: ",")]
        case "copydown", "copyup":
            try expect(request, arguments: 2)
            let testbed = try opened(request)
            let (source, destination) = (request.arguments[0], request.arguments[1])
            if source.isEmpty || destination.isEmpty { throw protocolError("\(request.command) paths must be nonempty") }
            if source.contains("\u{0}") || destination.contains("\u{0}") {
                report("\(request.command): a path holds a NUL character (%00)")
                return ["copy-failed"]
            }
            let directory = source.hasSuffix("/")
            if directory != destination.hasSuffix("/") {
                throw protocolError("\(request.command) paths must agree about directoryness (presence or absence of trailing /)")
            }
            do {
                if request.command == "copydown" {
                    try testbed.copyDown(host: source, testbed: destination, directory: directory)
                } else {
                    try testbed.copyUp(testbed: source, host: destination, directory: directory)
                }
                return ["ok"]
            } catch .timedOut {
                report("\(request.command) \(source) \(destination): timed out after \(testbed.copyTimeout) s")
                return ["timeout"]
            } catch .failed(let why) {
                report("\(request.command) \(source) \(destination) failed: \(why)")
                return ["copy-failed"]
            }
        case "shell":
            try expect(request, arguments: 1, optional: nil)
            let testbed = try opened(request)
            do {
                try testbed.shell(directory: request.arguments[0], variables: Array(request.arguments.dropFirst()))
            } catch {
                report("cannot run shell: \(error.message)")
            }
            return ["ok"]
        case "reboot":
            try expect(request, arguments: 0, optional: 1)
            _ = try opened(request)
            throw protocolError("`reboot' when `reboot' not advertised")
        case "auxverb_debug_fail", "auxverb-debug-fail":
            try expect(request, arguments: 0)
            return ["ok"]
        default:
            throw protocolError("unknown command `\(request.command)'")
        }
    }

    private func opened(_ request: VirtRequest) throws(Ending) -> Testbed {
        guard let testbed else { throw protocolError("`\(request.command)' when not open") }
        return testbed
    }

    private func expect(_ request: VirtRequest, arguments required: Int, optional: Int? = 0) throws(Ending) {
        if request.arguments.count < required { throw protocolError("too few arguments to command `\(request.command)'") }
        if let optional, request.arguments.count > required + optional {
            throw protocolError("too many arguments to command `\(request.command)'")
        }
    }

    private func protocolError(_ message: String) -> Ending {
        Ending(status: 12, message: "failure: \(message)")
    }

    private func closeTestbed() {
        testbed?.close()
        testbed = nil
    }

    /// Standard error, for what a client's answer cannot say (why a copy failed).
    private let errors = LineChannel(input: -1, output: 2)

    private func report(_ message: String) {
        try? errors.writeLine("strata virt-server: \(message)")
    }
}
