import ArgumentParser
import Foundation
import Logging
import StrataCore

/// --store, --json, --verbose and --lock-timeout: accepted by every command.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store directory (default: $STRATA_STORE, else /var/lib/strata as root, ~/.local/share/strata otherwise).", valueName: "dir"))
    var store: String?

    @Flag(name: .long, help: "Print one JSON document on stdout; progress and logs go to stderr.")
    var json = false

    @Flag(name: [.long, .customShort("v")], help: "Log each step to stderr.")
    var verbose = false

    @Flag(name: .customLong("no-userns"), help: "As root, run every command in the root as host root, not in a user namespace (for installers that need it; see Docs/rootless.md).")
    var noUserNamespace = false

    @Option(name: .long, help: ArgumentHelp("How long to wait for a lock another strata holds: seconds, or 30m, 2h (default 1h).", valueName: "duration"))
    var lockTimeout: String = "1h"

    func validate() throws {
        if Quantity.seconds(lockTimeout) == nil {
            throw ValidationError("--lock-timeout '\(lockTimeout)' is not a duration; write e.g. 600, 30m or 2h")
        }
    }

    var lockTimeoutSeconds: Double { Quantity.seconds(lockTimeout) ?? 3600 }
    /// DESIGN.md puts global options before the command (`strata --json build`);
    /// the parser wants them on the command, so they are moved to its end —
    /// before a `--`, after which everything is a command's own (`strata run`).
    static func movingLeadingOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if first == "--json" || first == "--verbose" || first == "-v" || first == "--no-userns" || first.hasPrefix("--store=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else if first.hasPrefix("--lock-timeout=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else if first == "--store" || first == "--lock-timeout", rest.count > 1 {
                leading.append(contentsOf: rest.prefix(2))
                rest = rest.dropFirst(2)
            } else {
                break
            }
        }
        guard let terminator = rest.firstIndex(of: "--") else { return Array(rest) + leading }
        return Array(rest[..<terminator]) + leading + Array(rest[terminator...])
    }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func logger() -> Logger {
        var logger = Logger(label: "strata") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = verbose ? .info : .warning
        return logger
    }

    /// The store, opened (its directories created), after `Host.prepareForMounts()`:
    /// overlayfs is checked and the mount namespace entered before the store
    /// is touched, and without root strata first enters its user namespace (a
    /// rootless store holds files of the user's subordinate ids, which only
    /// that namespace sees as they are; a user without such ids hears that,
    /// and no store is created as that user). Every command that reads the
    /// store opens it here.
    func openStore() throws(StrataError) -> Store {
        let path = Store.path(option: store, environment: environment)
        try Host.prepareForMounts()
        return try Store.open(path)
    }

    /// A registry repository as a layer cache of the store, with these options' lock timeout.
    func registryCache(_ reference: String, store: Store,
                       compression: ArchiveCompression = .zstd) throws(StrataError) -> RegistryCache {
        try RegistryCache(store: store, reference: reference, environment: environment,
                          lockTimeout: lockTimeoutSeconds, compression: compression)
    }

    /// The workflow of `build`, `plan`, `shell` and `update` for a profile
    /// named or given by path, with these options and `options`.
    func workflow(profile reference: String, _ options: BuildOptions = BuildOptions()) throws(StrataError) -> BuildWorkflow {
        let profile = try loadProfile(reference)
        var options = options
        options.lockTimeout = lockTimeoutSeconds
        options.userNamespace = !noUserNamespace
        options.environment = environment
        return try BuildWorkflow(store: try openStore(), profile: profile, options: options, logger: logger())
    }

    /// A profile by name (searched where strata looks for profiles) or by path.
    func loadProfile(_ reference: String) throws(StrataError) -> Profile {
        try ProfileLoader.standard(environment: environment).load(reference)
    }

    /// Runs a command body, printing a StrataError the documented way and
    /// exiting with its code.
    func handlingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as StrataError {
            Output(json: json).error(error)
            throw ExitCode(error.exitCode)
        }
    }
}
