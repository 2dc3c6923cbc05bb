// StrataCommands: the command line. One file per subcommand, grouped by noun;
// each parses its arguments and calls StrataCore. The `strata` executable
// only calls `StrataMain.run()`.
import ArgumentParser
import Foundation
import Glibc
import StrataCore

public struct StrataCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Layered overlayfs build roots: reuse installed build dependencies across builds.",
        discussion: """
            Every build stacks a read-only base image, a dependency layer keyed by the hash of the \
            resolved build dependencies, and a throwaway scratch layer. The dependency layer is \
            reused for as long as that hash is unchanged.

            Global options (--store, --json, --verbose, --no-userns, --lock-timeout) may come before or after the command.
            Exit codes: 0 success, 1 the build command failed, 2 bad usage, profile or input, \
            3 resolving or installing dependencies failed, 4 environment (not root, no overlayfs, \
            unsuitable store, lock timeout); `plan` exits 10 when a layer would be built; 130 and 143 after SIGINT and SIGTERM.
            """,
        version: "strata \(StrataCommand.release) (layer format \(InputManifest.currentFormat))",
        subcommands: [ImageCommand.self, BuildCommand.self, PlanCommand.self, ShellCommand.self, RunCommand.self, UpdateCommand.self, LayersCommand.self, PushCommand.self, PullCommand.self, WhyCommand.self, GCCommand.self, ProfileCommand.self, VirtServerCommand.self, VirtExecCommand.self]
    )

    /// The release of strata; the layer format (`InputManifest.currentFormat`)
    /// is what decides whether layers from another release can be reused.
    public static let release = "0.17.0"

    public init() {}
}

/// The entry point of the `strata` executable.
public enum StrataMain {
    public static func run(arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        do {
            var command = try StrataCommand.parseAsRoot(GlobalOptions.movingLeadingOptions(invokedAs(arguments)))
            try command.run()
            finish(0)
        } catch let code as ExitCode {
            finish(code.rawValue)
        } catch {
            // --help and --version end here with status 0.
            if StrataCommand.exitCode(for: error) == .success { StrataCommand.exit(withError: error) }
            FileHandle.standardError.write(Data((StrataCommand.fullMessage(for: error) + "\n").utf8))
            finish(2)
        }
    }

    /// Installed as autopkgtest-virt-strata (a link to strata), strata is
    /// the virtualisation server autopkgtest and sbuild call `strata`.
    private static func invokedAs(_ arguments: [String]) -> [String] {
        let name = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") }
        return name == "autopkgtest-virt-strata" ? ["virt-server"] + arguments : arguments
    }

    /// Exits with `status`. With STRATA_TEST_MOUNTINFO set (a test hook),
    /// first copies this process's mount table there: the tests use it to
    /// check that every mount was undone inside strata's own namespace,
    /// which no other process can see.
    private static func finish(_ status: Int32) -> Never {
        if let path = ProcessInfo.processInfo.environment["STRATA_TEST_MOUNTINFO"],
           let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) {
            try? table.write(toFile: path, atomically: false, encoding: .utf8)
        }
        exit(status)
    }
}
