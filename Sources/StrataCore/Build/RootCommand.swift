/// What `strata run` (and `shell`) runs in a fresh scratch root: a command
/// with its own options, or, with no arguments, an interactive shell.
public struct RootCommand: Sendable {
    /// The program and its arguments; a program without a slash is looked
    /// up in the root's PATH (127 when missing, as a shell does); empty: an
    /// interactive shell.
    public var arguments: [String]
    /// Share the host's network; nil: the profile's `[build] network`.
    public var network: Bool?
    /// A user of the root to run as (made when missing, as `[build] user`); nil: root.
    public var user: String?
    /// Extra binds (`--bind`), after the profile's `[[mount]]` entries.
    public var binds: [Profile.BindMount]
    /// Variables added to the standard environment and the profile's [env].
    public var environment: [String: String]

    public init(arguments: [String], network: Bool? = nil, user: String? = nil,
                binds: [Profile.BindMount] = [], environment: [String: String] = [:]) {
        self.arguments = arguments
        self.network = network
        self.user = user
        self.binds = binds
        self.environment = environment
    }

    /// `strata shell`: an interactive shell.
    public static let shell = RootCommand(arguments: [])

    var isInteractive: Bool { arguments.isEmpty }

    /// Refuses a user name the root could not have (the rule of `[build] user`)
    /// and a bind target a `[[mount]]` could not have.
    func validate() throws(StrataError) {
        if let user, let problem = ProfileRules.userNameProblem(user) { throw .input("--user '\(user)': \(problem)") }
        for bind in binds {
            if let problem = ProfileRules.pathProblem(bind.target) { throw .input("--bind \(bind.source):\(bind.target): the target \(problem)") }
        }
    }

    /// The argument vector to exec: the root's /bin/sh execs the program
    /// (`exec "$0" "$@"` keeps every argument as it is), looking a bare name
    /// up in PATH, and exits 127 when it is missing and 126 when it cannot
    /// run, as a shell does.
    var rootArguments: [String] {
        arguments.isEmpty ? arguments : ["/bin/sh", "-c", "exec \"$0\" \"$@\""] + arguments
    }
}
