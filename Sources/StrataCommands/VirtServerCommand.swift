import ArgumentParser
import Foundation
import StrataCore

struct VirtServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "virt-server",
        abstract: "Serve an autopkgtest testbed: a fresh scratch root of a profile, on stdin and stdout.",
        discussion: """
            Speaks autopkgtest's virtualisation-server protocol (capabilities, open, revert, close, \
            print-execute-command, copydown, copyup, shell, quit). `open` mounts a scratch root over \
            the profile's base and update layer, and over the deps layer of --source when given \
            (made when missing); `revert` replaces it with a fresh one. Commands share the host's \
            network unless --no-network. Installed as autopkgtest-virt-strata, so that autopkgtest \
            and sbuild --chroot-mode=autopkgtest find it by the name `strata`. A request the protocol \
            does not allow closes the testbed and exits 12, as autopkgtest's own servers do.

            Examples:
              autopkgtest hello_2.10-3.dsc -- strata --profile bookworm
              sbuild --chroot-mode=autopkgtest --autopkgtest-virt-server=strata \\
                --autopkgtest-virt-server-opts="--profile bookworm" -d bookworm hello_2.10-3.dsc
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Profile name or path to a .toml file.", valueName: "name"))
    var profile: String

    @Option(name: .long, help: ArgumentHelp("Stack the deps layer of this unpacked source tree in the testbed.", valueName: "dir"))
    var source: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Share the host's network with the testbed's commands (default: on).")
    var network = true

    @Option(name: .long, help: ArgumentHelp("How long a copyup or copydown may take before it is ended and answered `timeout`.", valueName: "duration"))
    var copyTimeout: String = "300s"

    @Flag(name: [.customShort("d"), .long], help: "More detail on standard error (as --verbose; autopkgtest passes -d).")
    var debug = false

    func validate() throws {
        guard let seconds = Quantity.seconds(copyTimeout), seconds > 0 else {
            throw ValidationError("--copy-timeout '\(copyTimeout)' is not a duration above zero; write e.g. 300s or 5m")
        }
    }

    func run() throws {
        var global = global
        if debug { global.verbose = true }
        let timeout = Quantity.seconds(copyTimeout) ?? 300
        var ending = VirtServer.Ending(status: 0)
        try global.handlingErrors {
            let workflow = try global.workflow(profile: profile)
            let source = source
            let network = network
            let server = try VirtServer.onStandardStreams { () throws(StrataError) in
                try workflow.testbed(source: source, network: network, copyTimeout: timeout)
            }
            ending = server.serve()
        }
        if let message = ending.message {
            FileHandle.standardError.write(Data("autopkgtest-virt-strata: \(message)\n".utf8))
        }
        throw ExitCode(ending.status)
    }
}

struct VirtExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "virt-exec",
        abstract: "Run a command in the testbed of a strata virt-server (what print-execute-command names).",
        shouldDisplay: false
    )

    @Argument(help: ArgumentHelp("The testbed's handle, as print-execute-command gave it.", valueName: "handle"))
    var handle: String

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments.", valueName: "command"))
    var command: [String] = []

    func run() throws {
        guard !command.isEmpty else {
            FileHandle.standardError.write(Data("strata virt-exec: give the command after --\n".utf8))
            throw ExitCode(255)
        }
        do {
            throw ExitCode(try TestbedExecution.run(handle: handle, arguments: command))
        } catch let error as StrataError {
            // autopkgtest reads 254 and 255 as "the testbed failed", not as the command's status.
            FileHandle.standardError.write(Data("strata virt-exec: \(error.message)\n".utf8))
            throw ExitCode(255)
        }
    }
}
