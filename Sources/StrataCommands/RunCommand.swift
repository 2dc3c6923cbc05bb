import ArgumentParser
import StrataCore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one command in a fresh scratch root and pass its exit status through.",
        discussion: """
            As `shell`, but not interactive: standard input, output and error are the command's, \
            and strata exits with the command's status (128 + the signal when it was killed). With \
            a source directory, the dependency layer of that source is used (and made if missing), \
            the source is copied to /build/src and the command starts there; without one, it runs \
            over the base and update layer alone, in /. A program without a slash is looked up \
            in the root's PATH (127 when it is not found). Everything written is thrown away.

            Example: strata run --profile bookworm ./hello -- dpkg-checkbuilddeps
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Profile name or path to a .toml file.", valueName: "name"))
    var profile: String

    @Flag(name: .long, inversion: .prefixedNo,
          help: "Share the host's network (default: the profile's [build] network).")
    var network: Bool?

    @Option(name: .long, help: ArgumentHelp("Run as this user of the root (made when missing, as [build] user).", valueName: "name"))
    var user: String?

    @Option(name: .long, help: ArgumentHelp("Bind a host path into the root: HOST:TARGET[:ro]; repeatable.", valueName: "bind"))
    var bind: [String] = []

    @Argument(help: ArgumentHelp("The unpacked source tree of a package (optional).", valueName: "source-dir"))
    var source: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. strata run --profile bookworm -- apt-cache policy") }
        if let user, user.isEmpty { throw ValidationError("--user needs a user name") }
        _ = try binds()
    }

    /// `--bind HOST:TARGET[:ro|:rw]`: an absolute target, written as the user
    /// would write it in a profile's [[mount]].
    func binds() throws -> [Profile.BindMount] {
        try bind.map { text in
            var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            var readonly = false
            if parts.count == 3, ["ro", "rw"].contains(parts[2]) { readonly = parts.removeLast() == "ro" }
            guard parts.count == 2, !parts[0].isEmpty, parts[1].hasPrefix("/") else {
                throw ValidationError("--bind '\(text)': write HOST:TARGET or HOST:TARGET:ro, the target an absolute path in the root")
            }
            if parts[1].split(separator: "/").contains("..") {
                throw ValidationError("--bind '\(text)': the target may not contain '..'")
            }
            return Profile.BindMount(source: Store.absolute(parts[0]), target: parts[1], readonly: readonly)
        }
    }

    func run() throws {
        var status: Int32 = 0
        try global.handlingErrors {
            let request = RootCommand(arguments: command, network: network, user: user, binds: try binds())
            status = try global.workflow(profile: profile).run(request, source: source)
        }
        throw ExitCode(status)
    }
}
