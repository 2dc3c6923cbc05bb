import Foundation
import StrataCore
import StrataOS

/// What a reused-layer build costs before and after the build command: the
/// merged root over the deps layer and the base, the system mounts, a
/// process in its own namespaces running /bin/true, and the teardown.
struct ReadyRootBenchmark {
    let fixtures: Fixtures
    let size: RootSize

    func median(rounds: Int) -> Double {
        Measure.median(rounds) { once() }
    }

    private func once() {
        let scratch = fixtures.options.work + "/scratch"
        do {
            for directory in ["upper", "work", "root"] {
                try FileTree.makeDirectories(inside: "", path: scratch + "/" + directory)
            }
            let root = BuildRoot(path: scratch + "/root")
            try root.mountOverlay(lower: [fixtures.deps(size), fixtures.base], upper: scratch + "/upper",
                                  work: scratch + "/work", volatile: true)
            try root.mountSystem(network: false)
            let status = try IsolatedCommand(root: root.path, arguments: ["/bin/true"]).run()
            if status != 0 { Measure.fatal("/bin/true exited \(status) in the ready root") }
            let errors = root.teardown()
            if !errors.isEmpty { Measure.fatal("teardown: \(errors)") }
            try FileTree.remove(scratch)
        } catch {
            Measure.fatal("ready root: \(error)")
        }
    }
}
