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
        }
        let profile: String
        let source: String
        let layers: [Layer]
        let reuses_everything: Bool
    }

    func run() throws {
        try global.handlingErrors {
            let session = try BuildRunner(global: global).session(profile: profile)
            defer { session.close() }
            let plan = try session.plan(source: source)
            let layers = plan.layers.map {
                Document.Layer(role: $0.role.rawValue, key: $0.key.hex, action: $0.exists ? "reuse" : "create",
                               reused: $0.exists, dependencies: $0.inputs.dependencies?.count)
            }
            let document = Document(profile: plan.profile.name, source: plan.source ?? "", layers: layers,
                                    reuses_everything: plan.reusesEverything)
            Output(json: global.json).print(document) {
                var lines = ["strata plan for \(document.source) with profile \(document.profile)"]
                for layer in layers {
                    let count = layer.dependencies.map { " (\($0) dependencies)" } ?? ""
                    lines.append("  \(layer.role.padding(toLength: 5, withPad: " ", startingAt: 0)) \(layer.key)  \(layer.action)\(count)")
                }
                let missing = layers.filter { !$0.reused }.count
                lines.append(missing == 0 ? "  every layer would be reused" : "  \(missing) layer(s) would be created")
                return lines.joined(separator: "\n")
            }
            if !plan.reusesEverything { throw ExitCode(10) }
        }
    }
}
