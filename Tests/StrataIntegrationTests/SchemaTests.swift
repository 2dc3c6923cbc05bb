import Foundation
import Testing

/// Real outputs of every command, validated against Docs/schema/*.schema.json
/// (JSON Schema 2020-12, with Debian's python3-jsonschema).
@Suite(.needsRoot) struct SchemaTests {
    private static let validator = """
        import json, pathlib, sys
        from jsonschema import Draft202012Validator, RefResolver
        directory = pathlib.Path(sys.argv[1]).resolve()
        schemas = {p.as_uri(): json.loads(p.read_text()) for p in directory.glob("*.schema.json")}
        schema = schemas[(directory / sys.argv[2]).as_uri()]
        resolver = RefResolver(base_uri=(directory / sys.argv[2]).as_uri(), referrer=schema, store=schemas)
        document = json.loads(sys.stdin.read())
        errors = sorted(Draft202012Validator(schema, resolver=resolver).iter_errors(document), key=str)
        for error in errors:
            print(f"{list(error.absolute_path)}: {error.message}")
        sys.exit(1 if errors else 0)
        """

    private func validate(_ run: Sandbox.Run, against schema: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let input = NSTemporaryDirectory() + "strata-json-" + UUID().uuidString
        try run.stdout.write(toFile: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: input) }
        let result = try Sandbox.shell("/bin/sh", ["-c", "/usr/bin/python3 -c \"$0\" \"$1\" \"$2\" < \"$3\"",
                                                   Self.validator, Sandbox.repository + "/Docs/schema", schema, input])
        #expect(result.status == 0, "\(schema): \(result.stdout)\(result.stderr)\n\(run.stdout)", sourceLocation: sourceLocation)
    }

    @Test func everyCommandsJSONMatchesItsSchema() throws {
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.work + "/versions", withIntermediateDirectories: true)
        try "1\n".write(toFile: sandbox.work + "/versions/version", atomically: true, encoding: .utf8)
        try sandbox.editProfile {
            $0 + "\n[[mount]]\nsource = \"\(sandbox.work)/versions\"\ntarget = \"/srv/versions\"\nreadonly = true\n"
                + "\n[update]\nrun = \"cp /srv/versions/version /etc/v\"\nstate = \"cat /etc/v\"\nmax_age = \"1d\"\n"
        }

        // Before the update layer exists, plan refuses (exit 2) with the error document.
        let early = try sandbox.strata(["--json", "plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(early.status == 2)
        try validate(early, against: "error.schema.json")
        try validate(try sandbox.strata(["--json", "update", sandbox.profile]), against: "update.schema.json")
        try validate(try sandbox.strata(["--json", "plan", "--profile", sandbox.profile, sandbox.source("hello")]), against: "plan.schema.json")
        try validate(try sandbox.build("hello"), against: "build.schema.json")
        try "2\n".write(toFile: sandbox.work + "/versions/version", atomically: true, encoding: .utf8)
        let changedUpdate = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(try changedUpdate.json()["explanation"] != nil)
        try validate(changedUpdate, against: "update.schema.json")
        let explained = try sandbox.build("hello")
        #expect(explained.stdout.contains("\"explanation\""))
        try validate(explained, against: "build.schema.json")
        try validate(try sandbox.strata(["--json", "plan", "--profile", sandbox.profile, sandbox.source("hello")]), against: "plan.schema.json")
        try sandbox.writeBuildScript("#!/bin/sh\nexit 5\n", for: "goodbye")
        try validate(try sandbox.build("goodbye", ["--keep-failed"]), against: "build.schema.json")

        let list = try sandbox.strata(["--json", "layers", "list"])
        try validate(list, against: "layers-list.schema.json")
        let keys = try #require(try list.json()["layers"] as? [[String: Any]]).compactMap { $0["key"] as? String }
        try #require(keys.count >= 4)
        try validate(try sandbox.strata(["--json", "layers", "inspect", keys[0]]), against: "layers-inspect.schema.json")
        try validate(try sandbox.strata(["--json", "layers", "diff", keys[0], keys[1]]), against: "layers-diff.schema.json")
        try validate(try sandbox.strata(["--json", "why", keys[0]]), against: "why.schema.json")

        try validate(try sandbox.strata(["--json", "profile", "check", sandbox.profile]), against: "profile-check.schema.json")
        try validate(try sandbox.strata(["--json", "profile", "show", sandbox.profile]), against: "profile-show.schema.json")
        try validate(try sandbox.strata(["--json", "profile", "show", Sandbox.repository + "/Examples/debian/bookworm.toml"]),
                     against: "profile-show.schema.json")
        try validate(try sandbox.strata(["--json", "image", "list"]), against: "image-list.schema.json")
        try validate(try sandbox.strata(["--json", "image", "inspect", "demo-base"]), against: "image.schema.json")
        try validate(try sandbox.strata(["--json", "image", "export", "demo-base", "-o", sandbox.work + "/base.tar.zst"]), against: "image-export.schema.json")
        try validate(try sandbox.strata(["--json", "image", "import", "copy", sandbox.work + "/base.tar.zst"]), against: "image.schema.json")
        try validate(try sandbox.strata(["--json", "image", "rm", "copy"]), against: "image-rm.schema.json")

        try validate(try sandbox.strata(["--json", "layers", "verify"]), against: "layers-verify.schema.json")
        // A damaged layer: listed as damaged, verified as damaged, repaired, and its removal reported by gc.
        try Data("{".utf8).write(to: URL(fileURLWithPath: sandbox.store + "/layers/\(keys[0])/manifest.json"))
        try validate(try sandbox.strata(["--json", "layers", "list"]), against: "layers-list.schema.json")
        try validate(try sandbox.strata(["--json", "layers", "verify", keys[0]]), against: "layers-verify.schema.json")
        try validate(try sandbox.strata(["--json", "gc", "--keep-last", "20", "--dry-run"]), against: "gc.schema.json")
        try validate(try sandbox.strata(["--json", "layers", "verify", "--repair"]), against: "layers-verify.schema.json")

        try validate(try sandbox.strata(["--json", "gc", "--keep-last", "2", "--dry-run"]), against: "gc.schema.json")
        let oldest = try #require(try list.json()["layers"] as? [[String: Any]]).last { $0["role"] as? String == "deps" && $0["key"] as? String != keys[0] }
        try validate(try sandbox.strata(["--json", "layers", "rm", try #require(oldest?["key"] as? String)]), against: "layers-rm.schema.json")
        try validate(try sandbox.strata(["--json", "gc", "--keep-last", "1"]), against: "gc.schema.json")

        let failure = try sandbox.strata(["--json", "layers", "inspect", "nope"])
        #expect(failure.status == 2)
        try validate(failure, against: "error.schema.json")
    }

    @Test func sharingCommandsJSONMatchesItsSchema() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let cached = try sandbox.strata(sandbox.buildArguments("hello") + ["--cache-from", registry.repository, "--cache-to", registry.repository])
        #expect(cached.stdout.contains("\"pushed\""))
        try validate(cached, against: "build.schema.json")
        let key = try #require(try RegistryTests.layer(cached, role: "deps")["key"] as? String)
        try sandbox.addPackage("tools-only", buildDepends: "pkgtool\n")
        let offline = try sandbox.strata(sandbox.buildArguments("tools-only") + ["--cache-from", "127.0.0.1:\(try freePort())/x"])
        #expect(offline.stdout.contains("\"warnings\""))
        try validate(offline, against: "build.schema.json")

        try validate(try sandbox.strata(["--json", "push", key, "--to", registry.repository]), against: "push.schema.json")
        let other = try sandbox.secondStore()
        try validate(try sandbox.strata(["--json", "--store", other, "pull", key, "--from", registry.repository]), against: "pull.schema.json")
        let blob = sandbox.work + "/deps.tar"
        try validate(try sandbox.strata(["--json", "layers", "export", key, "-o", blob, "--compression", "none"]), against: "layers-export.schema.json")
        #expect(try sandbox.strata(["layers", "rm", key]).status == 0)
        try validate(try sandbox.strata(["--json", "layers", "import", blob]), against: "layers-export.schema.json")

        let failure = try sandbox.strata(["--json", "pull", String(repeating: "0", count: 64), "--from", registry.repository])
        #expect(failure.status == 2)
        try validate(failure, against: "error.schema.json")
    }

    @Test func theValidatorRejectsADocumentThatBreaksTheSchema() throws {
        let broken = Sandbox.Run(status: 0, stdout: #"{"profile": "x", "layers": "not an array"}"#, stderr: "", mountTable: "")
        let input = NSTemporaryDirectory() + "strata-json-" + UUID().uuidString
        try broken.stdout.write(toFile: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: input) }
        let result = try Sandbox.shell("/bin/sh", ["-c", "/usr/bin/python3 -c \"$0\" \"$1\" \"$2\" < \"$3\"",
                                                   Self.validator, Sandbox.repository + "/Docs/schema", "build.schema.json", input])
        #expect(result.status == 1)
        #expect(result.stdout.contains("is a required property") || result.stdout.contains("is not of type"))
    }
}
