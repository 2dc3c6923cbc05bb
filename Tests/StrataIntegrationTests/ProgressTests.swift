import Foundation
import Testing

/// Long operations show a progress line on a terminal (run under script(1),
/// which gives strata a pseudo-terminal), and none when standard output is
/// not a terminal or with --json. STRATA_TEST_PROGRESS=every makes every
/// update show at once, so that a small demo layer shows any.
@Suite(.needsRoot) struct ProgressTests {
    /// Runs strata on a pseudo-terminal; returns everything the terminal showed.
    private func onTerminal(_ sandbox: Sandbox, _ arguments: [String]) throws -> Sandbox.Run {
        let line = ([Sandbox.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        var environment = ProcessInfo.processInfo.environment
        environment["STRATA_STORE"] = sandbox.store
        environment["STRATA_TEST_PROGRESS"] = "every"
        return try Sandbox.shell("/usr/bin/script", ["-qec", line, "/dev/null"], environment: environment)
    }

    @Test func exportImportPushPullAndVerifyShowProgressOnATerminalOnly() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.build("hello").status == 0)
        let key = try #require(sandbox.layerDirectories(in: sandbox.store).first { !$0.hasPrefix(".") })
        let blob = sandbox.work + "/layer.tar"

        let exported = try onTerminal(sandbox, ["layers", "export", key, "-o", blob])
        #expect(exported.status == 0, "\(exported.stdout)")
        #expect(exported.stdout.contains("packing layer \(key.prefix(12)): "), "no progress on a terminal: \(exported.stdout)")
        #expect(exported.stdout.contains(" entries, "))

        let quiet = try sandbox.strata(["layers", "export", key, "-o", blob])
        #expect(quiet.status == 0)
        #expect(!quiet.stderr.contains("packing"), "progress although stdout is not a terminal: \(quiet.stderr)")
        let json = try onTerminal(sandbox, ["--json", "layers", "export", key, "-o", blob])
        #expect(!json.stdout.contains("packing"), "progress with --json")

        let verified = try onTerminal(sandbox, ["layers", "verify"])
        #expect(verified.stdout.contains("verifying layer 1/"), "\(verified.stdout)")
        let image = try onTerminal(sandbox, ["image", "export", "demo-base", "-o", sandbox.work + "/base.tar"])
        #expect(image.stdout.contains("exporting image demo-base: "), "\(image.stdout)")

        let registry = try RegistryServer(in: sandbox.work)
        let pushed = try onTerminal(sandbox, ["push", key, "--to", registry.repository])
        #expect(pushed.status == 0, "\(pushed.stdout)")
        #expect(pushed.stdout.contains("uploading layer \(key.prefix(12))"), "\(pushed.stdout)")
        let second = try sandbox.secondStore()
        let pulled = try onTerminal(sandbox, ["--store", second, "pull", key, "--from", registry.repository])
        #expect(pulled.status == 0, "\(pulled.stdout)")
        #expect(pulled.stdout.contains("downloading layer \(key.prefix(12))"), "\(pulled.stdout)")
        #expect(pulled.stdout.contains("unpacking layer \(key.prefix(12)): "), "\(pulled.stdout)")
    }
}
