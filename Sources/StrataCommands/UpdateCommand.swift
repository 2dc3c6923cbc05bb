import ArgumentParser
import StrataCore

struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Bring the profile's base up to date in an update layer.",
        discussion: """
            Runs [update] run in an overlay over the base image, then [update] state. The layer's \
            key covers what state printed: when nothing changed, the existing update layer and every \
            dependency layer built on it stay valid. Later builds of profiles with the same base and \
            update recipe use the newest update layer.

            Example: strata update bookworm
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Profile name or path to a .toml file.", valueName: "profile"))
    var profile: String

    func run() throws {
        try global.handlingErrors {
            let report = try global.workflow(profile: profile).update()
            try Output(json: global.json).print(report) {
                let what = report.changed
                    ? (report.created ? "created" : "reused (an earlier update had the same state)")
                    : "unchanged: the state is the same, every layer built on it stays valid"
                var lines = ["strata update of profile \(report.profile)", "  update \(report.key.hex)  \(what)"]
                if let previous = report.previous, report.changed { lines.append("  replaces \(previous.hex)") }
                if let explanation = report.explanation { lines.append("  \(explanation.summary)") }
                lines.append("  state: \(report.stateLines) line(s)")
                let t = report.timings
                lines.append("  timings: update \(t.update) ms, state \(t.state) ms, layer \(t.layer) ms")
                return lines.joined(separator: "\n")
            }
        }
    }
}
