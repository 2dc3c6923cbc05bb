import Foundation
import Glibc

/// Timing helpers: monotonic milliseconds, medians, and running programs.
enum Measure {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1_000_000
    }

    /// Milliseconds `body` took.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = now()
        try body()
        return now() - start
    }

    /// The median of `rounds` timings of `body`, in milliseconds.
    static func median(_ rounds: Int, _ body: () throws -> Void) rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<rounds { samples.append(try time(body)) }
        return median(samples)
    }

    static func median(_ samples: [Double]) -> Double {
        let sorted = samples.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// Runs a program to the end; returns its standard output. Fails loudly.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                    allowFailure: Bool = false) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        do { try process.run() } catch {
            fatal("cannot run \(program): \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0 && !allowFailure {
            fatal("\(program) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Starts a program with posix_spawn, its output discarded; returns its
    /// pid. For timed runs: Foundation's Process waits through a run loop and
    /// adds tens of milliseconds of its own to every measurement.
    static func spawn(_ program: String, _ arguments: [String]) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, nil, argv, environ)
        if result != 0 { fatal("cannot start \(program): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Waits for a spawned pid; returns its exit status.
    @discardableResult
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xff
    }

    /// Runs a program with posix_spawn and waits for it, output discarded.
    static func spawnAndWait(_ program: String, _ arguments: [String], expecting expected: Int32 = 0) {
        let status = wait(spawn(program, arguments))
        if status != expected { fatal("\(program) \(arguments.joined(separator: " ")) exited \(status)") }
    }

    static func shell(_ script: String, environment: [String: String] = [:]) {
        run("/bin/sh", ["-c", script], environment: environment)
    }

    static func fatal(_ message: String) -> Never {
        FileHandle.standardError.write(Data("strata-bench: \(message)\n".utf8))
        exit(1)
    }

    static func format(_ milliseconds: Double) -> String {
        milliseconds >= 100 ? String(format: "%.0f ms", milliseconds) : String(format: "%.2f ms", milliseconds)
    }

    static func ratio(_ value: Double) -> String {
        value >= 10 ? String(format: "%.0f×", value) : String(format: "%.2f×", value)
    }
}
