import Foundation
import Testing

/// Exit codes and messages of the command line.
@Suite(.needsRoot) struct CommandLineTests {
    @Test func aBadProfileExitsTwoNamingFileAndLine() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile { $0.replacingOccurrences(of: "[build]\n", with: "[build]\nnetwrok = false\n") }
        let lines = try String(contentsOfFile: sandbox.profile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex { $0.hasPrefix("netwrok") }) + 1
        let run = try sandbox.build("hello")
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(sandbox.profile):\(line): unknown key 'build.netwrok'"), "\(run.stderr)")
        let error = try #require(try run.json()["error"] as? [String: Any])
        #expect(error["exit_code"] as? Int == 2)
        try sandbox.expectTornDown(run)
    }

    @Test func badUsageExitsTwo() throws {
        let sandbox = try Sandbox()
        let run = try sandbox.strata(["build", "--no-such-option"])
        #expect(run.status == 2)
        let badName = try sandbox.strata(["image", "inspect", "../etc"])
        #expect(badName.status == 2)
        #expect(badName.stderr.contains("image name '../etc' is not a valid image name"), "\(badName.stderr)")
    }

    @Test func aMissingImageOrSourceIsAnInputError() throws {
        let sandbox = try Sandbox()
        let missingSource = try sandbox.build("no-such-package")
        #expect(missingSource.status == 2)
        #expect(missingSource.stderr.contains("is not a directory"))
        try sandbox.editProfile { $0.replacingOccurrences(of: "image = \"demo-base\"", with: "image = \"nope\"") }
        let missingImage = try sandbox.build("hello")
        #expect(missingImage.status == 2)
        #expect(missingImage.stderr.contains("no image named 'nope'"))
        try sandbox.expectTornDown(missingImage)
    }

    @Test func globalOptionsWorkBeforeAndAfterTheCommand() throws {
        let sandbox = try Sandbox()
        let before = try Sandbox.shell(Sandbox.binary, ["--store", sandbox.store, "--json", "image", "list"])
        let after = try Sandbox.shell(Sandbox.binary, ["image", "list", "--json", "--store", sandbox.store])
        #expect(before.status == 0 && after.status == 0)
        #expect(before.stdout == after.stdout)
        #expect(before.stdout.contains("demo-base"))
    }
}

@Suite(.needsRoot) struct ShellTests {
    @Test func theShellRunsInAFreshScratchRootOverTheLayers() throws {
        let sandbox = try Sandbox()
        let script = sandbox.work + "/shell-input"
        try "command -v greet; ls /build/src; touch /etc/scratch-only; exit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
        let table = sandbox.work + "/shell-mountinfo"
        let run = try Sandbox.shell("/bin/sh", ["-c", "STRATA_TEST_MOUNTINFO=\"$5\" \"$0\" --store \"$1\" shell --profile \"$2\" \"$3\" < \"$4\"",
                                                Sandbox.binary, sandbox.store, sandbox.profile, sandbox.source("hello"), script, table])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stdout.contains("/usr/bin/greet"), "the deps layer is not under the shell: \(run.stdout)")
        #expect(run.stdout.contains("build.sh"), "the source is not at /build/src: \(run.stdout)")
        try sandbox.expectTornDown(Sandbox.Run(status: run.status, stdout: run.stdout, stderr: run.stderr,
                                               mountTable: (try? String(contentsOfFile: table, encoding: .utf8)) ?? ""))
        // The shell's writes were thrown away with its scratch layer.
        let layers = sandbox.entries(sandbox.store + "/layers")
        #expect(layers.count == 1)
        #expect(!FileManager.default.fileExists(atPath: sandbox.store + "/layers/\(layers[0])/upper/etc/scratch-only"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.store + "/images/demo-base/rootfs/etc/scratch-only"))
    }

    @Test func withoutASourceTheShellRunsOverTheBaseAlone() throws {
        let sandbox = try Sandbox()
        let run = try Sandbox.shell("/bin/sh", ["-c", "echo 'command -v greet || echo no-greet' | \"$0\" --store \"$1\" shell --profile \"$2\"",
                                                Sandbox.binary, sandbox.store, sandbox.profile])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("no-greet"))
    }
}

/// The conventions: the version with the layer format, and gc's limits from
/// a configuration file (what strata-gc.service reads).
@Suite(.needsRoot) struct ConventionTests {
    @Test func versionNamesTheLayerFormat() throws {
        let run = try Sandbox.shell(Sandbox.binary, ["--version"])
        #expect(run.status == 0)
        #expect(run.stdout.range(of: #"^strata \d+\.\d+\.\d+ \(layer format 1\)\n$"#, options: .regularExpression) != nil, "\(run.stdout)")
    }

    @Test(arguments: [["--max-size", "99999999999999999999G"], ["--max-size", "18446744073709551616"], ["--max-age", "1e300d"]])
    func aQuantityBeyondAnyLimitIsRefused(option: [String]) throws {
        let run = try Sandbox.shell(Sandbox.binary, ["--store", "/nonexistent-strata-store", "gc", "--dry-run"] + option)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("is not a"), "\(run.stderr)")
    }

    @Test func gcReadsItsLimitsFromAConfigurationFile() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.build("hello").status == 0)
        let config = sandbox.work + "/gc.conf"
        try "[gc]\nkeep_last = 0\n".write(toFile: config, atomically: true, encoding: .utf8)
        let run = try sandbox.strata(["--json", "gc", "--config", config])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(sandbox.layerDirectories(in: sandbox.store).isEmpty, "keep_last = 0 from the file must remove every layer")

        try "[gc]\nkeep_lats = 3\n".write(toFile: config, atomically: true, encoding: .utf8)
        let typo = try sandbox.strata(["gc", "--config", config])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("\(config):2: unknown key 'gc.keep_lats'"), "\(typo.stderr)")
        try "# nothing\n".write(toFile: config, atomically: true, encoding: .utf8)
        let empty = try sandbox.strata(["gc", "--config", config])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("missing [gc] table"), "\(empty.stderr)")
    }
}
