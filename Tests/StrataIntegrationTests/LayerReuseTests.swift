import Foundation
import Testing

/// The core promise: the dependency layer is created once per distinct
/// resolved set and reused for as long as that set is unchanged.
@Suite(.needsRoot) struct LayerReuseTests {
    private func depsLayer(_ run: Sandbox.Run) throws -> (key: String, reused: Bool) {
        let layers = try #require(try run.json()["layers"] as? [[String: Any]])
        let deps = try #require(layers.first { $0["role"] as? String == "deps" })
        return (try #require(deps["key"] as? String), try #require(deps["reused"] as? Bool))
    }

    @Test func theDepsLayerIsCreatedOnceAndReusedUntilADependencyChanges() throws {
        let sandbox = try Sandbox()

        let first = try sandbox.build("hello")
        #expect(first.status == 0, "\(first.stderr)")
        let created = try depsLayer(first)
        #expect(created.reused == false)
        #expect(sandbox.installRuns == 1)

        let again = try sandbox.build("hello")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try depsLayer(again).key == created.key)
        #expect(try depsLayer(again).reused)

        // goodbye lists the same build dependencies, reordered and repeated.
        let other = try sandbox.build("goodbye")
        #expect(other.status == 0, "\(other.stderr)")
        #expect(try depsLayer(other).key == created.key)
        #expect(try depsLayer(other).reused)
        #expect(sandbox.installRuns == 1, "the install command ran again for a reused layer")

        let published = try Sandbox.shell(Sandbox.repository + "/Examples/demo/publish-update.sh", [sandbox.work + "/repo"])
        #expect(published.status == 0)
        let updated = try sandbox.build("hello")
        #expect(updated.status == 0, "\(updated.stderr)")
        let replacement = try depsLayer(updated)
        #expect(replacement.key != created.key)
        #expect(replacement.reused == false)
        #expect(sandbox.installRuns == 2)

        // The old layer is intact and still used by what resolves to it.
        #expect(sandbox.entries(sandbox.store + "/layers").sorted() == [created.key, replacement.key].sorted())
        let oldGreet = sandbox.store + "/layers/\(created.key)/upper/usr/bin/greet"
        #expect(try String(contentsOfFile: oldGreet, encoding: .utf8).contains("greet 1.0"))
        let artifact = try Sandbox.shell("/bin/tar", ["-xzOf", sandbox.work + "/out/hello_1.0.pkg"])
        #expect(artifact.stdout.contains("HELLO, WORLD"))
        #expect(artifact.stdout.contains("greet 1.1"))
    }

    @Test func aRenamedProfileSharesTheLayers() throws {
        let sandbox = try Sandbox()
        let first = try sandbox.build("hello")
        #expect(first.status == 0, "\(first.stderr)")
        let renamed = sandbox.work + "/renamed-profile.toml"
        try FileManager.default.copyItem(atPath: sandbox.profile, toPath: renamed)
        let plan = try sandbox.strata(["plan", "--profile", renamed, sandbox.source("goodbye")])
        #expect(plan.status == 0, "plan: \(plan.stdout) \(plan.stderr)")
        #expect(plan.stdout.contains(try depsLayer(first).key))
    }

    @Test func changingTheInstallCommandCreatesANewLayer() throws {
        let sandbox = try Sandbox()
        let first = try sandbox.build("hello")
        try sandbox.editProfile { $0.replacingOccurrences(of: "&& /srv/demo-repo/bin/install", with: "&& /srv/demo-repo/bin/install && true") }
        let second = try sandbox.build("hello")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try depsLayer(second).key != depsLayer(first).key)
        #expect(try depsLayer(second).reused == false)
    }

    @Test func planCreatesNothingAndExitsTenUntilTheLayerExists() throws {
        let sandbox = try Sandbox()
        let before = try sandbox.strata(["--json", "plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(before.status == 10, "\(before.stderr)")
        #expect(try before.json()["reuses_everything"] as? Bool == false)
        #expect(sandbox.entries(sandbox.store + "/layers") == [])
        #expect(sandbox.installRuns == 0)
        try sandbox.expectTornDown(before)

        #expect(try sandbox.build("hello").status == 0)
        let after = try sandbox.strata(["plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stdout.contains("every layer would be reused"))
    }

    @Test func buildJSONHasTheDocumentedFields() throws {
        let sandbox = try Sandbox()
        let run = try sandbox.build("hello")
        #expect(run.status == 0, "\(run.stderr)")
        let json = try run.json()
        #expect(json["profile"] as? String == "demo")
        #expect(json["source"] as? String == sandbox.source("hello"))
        #expect((json["build"] as? [String: Any])?["exit_code"] as? Int == 0)
        #expect(json["artifacts"] as? [String] == ["hello_1.0.pkg"])
        let layers = try #require(json["layers"] as? [[String: Any]])
        #expect(layers.map { $0["role"] as? String } == ["base", "deps"])
        for layer in layers {
            #expect((layer["key"] as? String)?.count == 64)
            #expect(layer["reused"] is Bool)
        }
        #expect(layers[1]["dependencies"] as? Int == 3)
        let timings = try #require(json["timings_ms"] as? [String: Int])
        #expect(Set(timings.keys) == ["resolve", "layer", "setup", "build", "teardown"])
        #expect(FileManager.default.fileExists(atPath: sandbox.work + "/out/hello_1.0.pkg"))
    }
}
