import ArgumentParser
import StrataCore

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Check a profile, or show it as strata reads it, without running anything.",
        subcommands: [ProfileCheck.self, ProfileShow.self]
    )
}

/// The profile both subcommands read, as strata reads it.
struct ProfileReference: ParsableArguments {
    @Argument(help: ArgumentHelp("Profile name or path to a .toml file.", valueName: "profile"))
    var profile: String

    func report(_ global: GlobalOptions) throws(StrataError) -> ProfileReport {
        ProfileReport(try global.loadProfile(profile))
    }
}

struct ProfileCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a profile: exit 0 when strata can use it, 2 with the file, line and key of the first error.",
        discussion: """
            Reads the profile as every command does (TOML, known keys, types, paths, names) and runs \
            nothing. Warns, without failing, about what would stop a build on this host although the \
            profile is valid: a [[mount]] source that does not exist.

            Example: strata profile check bookworm
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var reference: ProfileReference

    func run() throws {
        try global.handlingErrors {
            let report = try reference.report(global)
            struct Checked: Encodable {
                let profile: String
                let path: String
                let valid = true
                let warnings: [String]
            }
            let output = Output(json: global.json)
            if !global.json { report.warnings.forEach { output.note("warning: \($0)") } }
            try output.print(Checked(profile: report.name, path: report.path, warnings: report.warnings)) {
                "\(report.path): ok" + (report.warnings.isEmpty ? "" : " (\(report.warnings.count) warning(s))")
            }
        }
    }
}

struct ProfileShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a profile as strata reads it, each setting with the layer keys it goes into.",
        discussion: """
            Every default is filled in. The text is TOML that reads back to the same profile; \
            each setting has a comment saying which keys (base, update, deps, and the cached \
            resolution) it goes into, and how. With --json: the settings as a list, with their keys.

            Example: strata profile show bookworm
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var reference: ProfileReference

    func run() throws {
        try global.handlingErrors {
            let report = try reference.report(global)
            try Output(json: global.json).print(report) { report.text }
        }
    }
}
