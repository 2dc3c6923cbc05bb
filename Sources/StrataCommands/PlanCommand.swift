import ArgumentParser
import StrataCore

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show which layers a build would reuse or create, without creating any.",
        discussion: """
            Runs the resolver (in a throwaway overlay) to compute every key. Exits 0 when \
            everything would be reused and 10 when at least one layer would be built.

            Example: strata plan --profile bookworm ~/src/hello-2.10 || echo "deps layer will be built"
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Profile name or path to a .toml file.", valueName: "name"))
    var profile: String

    @Argument(help: ArgumentHelp("The unpacked source tree of the package.", valueName: "source-dir"))
    var source: String

    struct Document: Encodable {
        struct Layer: Encodable {
            let role: String
            let key: String
            let action: String
            let reused: Bool
            let dependencies: Int?
            let explanation: Explanation?
        }
        struct Update: Encodable {
            let key: String?
            let checked: String?
            let age_seconds: Int?
            let max_age_seconds: Int?
            let stale: Bool
        }
        let profile: String
        let source: String
        let layers: [Layer]
        let reuses_everything: Bool
        let update: Update?
        let warnings: [String]
    }

    func run() throws {
        try global.handlingErrors {
            let session = try BuildRunner(global: global).session(profile: profile)
            defer { session.close() }
            let plan = try session.plan(source: source)
            let layers = plan.layers.map {
                Document.Layer(role: $0.role.rawValue, key: $0.key.hex, action: $0.exists ? "reuse" : "create",
                               reused: $0.exists, dependencies: $0.inputs.dependencies?.count, explanation: $0.explanation)
            }
            let update = plan.updateStatus.map {
                Document.Update(key: $0.key?.hex, checked: $0.checked.map(Timestamp.format),
                                age_seconds: $0.ageSeconds.map { Int($0) }, max_age_seconds: $0.maxAge.map { Int($0) },
                                stale: $0.stale)
            }
            var warnings: [String] = []
            if let status = plan.updateStatus {
                if status.key == nil {
                    warnings.append("no update layer yet: builds use the base image as imported; run 'strata update \(profile)'")
                } else if status.stale, let age = status.ageSeconds, let maxAge = status.maxAge {
                    warnings.append("the update layer was last updated \(PlanCommand.duration(age)) ago, more than [update] max_age (\(PlanCommand.duration(maxAge))); run 'strata update \(profile)'")
                }
            }
            let document = Document(profile: plan.profile.name, source: plan.source ?? "", layers: layers,
                                    reuses_everything: plan.reusesEverything, update: update, warnings: warnings)
            Output(json: global.json).print(document) {
                var lines = ["strata plan for \(document.source) with profile \(document.profile)"]
                for layer in layers {
                    let count = layer.dependencies.map { " (\($0) dependencies)" } ?? ""
                    lines.append("  \(layer.role.padding(toLength: 6, withPad: " ", startingAt: 0)) \(layer.key)  \(layer.action)\(count)")
                    if let explanation = layer.explanation { lines.append("         \(explanation.summary)") }
                }
                let missing = layers.filter { !$0.reused }.count
                lines.append(missing == 0 ? "  every layer would be reused" : "  \(missing) layer(s) would be created")
                lines += warnings.map { "  warning: \($0)" }
                return lines.joined(separator: "\n")
            }
            if !plan.reusesEverything { throw ExitCode(10) }
        }
    }

    /// 93784 -> "1d 2h", 5400 -> "1h 30m", 45 -> "45s".
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds)
        let (days, hours, minutes) = (total / 86400, total % 86400 / 3600, total % 3600 / 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(total % 60)s" }
        return "\(total)s"
    }
}
