import ArgumentParser
import StrataCore

struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "Open an interactive root shell in a fresh scratch root.",
        discussion: """
            With a source directory, the dependency layer of that source is used (and created if \
            missing) and the source is copied to /build/src; without one, the shell runs over the \
            base image alone. Everything written is thrown away when the shell exits.

            Example: strata shell --profile bookworm ~/src/hello-2.10
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Profile name or path to a .toml file.", valueName: "name"))
    var profile: String

    @Argument(help: ArgumentHelp("The unpacked source tree of a package (optional).", valueName: "source-dir"))
    var source: String?

    func run() throws {
        var status: Int32 = 0
        try global.handlingErrors {
            status = try global.workflow(profile: profile).shell(source: source)
        }
        throw ExitCode(status)
    }
}
