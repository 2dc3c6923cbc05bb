import Foundation
import Testing

/// The update layer: its key follows the state, not the act of updating.
@Suite(.needsRoot) struct UpdateLayerTests {
    /// The demo profile with an update whose state is a version file that the
    /// test controls from the host.
    private func sandboxWithUpdate(maxAge: String? = nil) throws -> (Sandbox, String) {
        let sandbox = try Sandbox()
        let versions = sandbox.work + "/versions"
        try FileManager.default.createDirectory(atPath: versions, withIntermediateDirectories: true)
        try "1\n".write(toFile: versions + "/version", atomically: true, encoding: .utf8)
        try sandbox.editProfile {
            $0 + """

                # A distribution's archive: what it serves is captured by the
                # state command, not by the recipe, so it is a cache mount.
                [[mount]]
                source = "\(versions)"
                target = "/srv/versions"
                readonly = true
                kind = "cache"

                [update]
                run = "echo ran >> /srv/log/updates && cp /srv/versions/version /etc/distro-version"
                state = "cat /etc/distro-version"
                \(maxAge.map { "max_age = \"\($0)\"" } ?? "")
                """
        }
        return (sandbox, versions)
    }

    private func keys(_ run: Sandbox.Run) throws -> [String: String] {
        let layers = try #require(try run.json()["layers"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: layers.compactMap { layer in
            (layer["role"] as? String).flatMap { role in (layer["key"] as? String).map { (role, $0) } }
        })
    }

    @Test func anUnchangedStateKeepsEveryKeyAndAChangedOneReplacesThem() throws {
        let (sandbox, versions) = try sandboxWithUpdate()
        let first = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try first.json()["created"] as? Bool == true)
        let updateKey = try #require(try first.json()["key"] as? String)

        let built = try sandbox.build("hello")
        #expect(built.status == 0, "\(built.stderr)")
        let before = try keys(built)
        #expect(before["update"] == updateKey)

        // The update runs again, changes nothing: no key moves, the deps layer is reused.
        let again = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(try again.json()["key"] as? String == updateKey)
        #expect(try again.json()["changed"] as? Bool == false)
        let rebuilt = try sandbox.build("hello")
        #expect(try keys(rebuilt) == before)
        #expect(sandbox.installRuns == 1)
        let updates = try String(contentsOfFile: sandbox.log + "/updates", encoding: .utf8)
        #expect(updates.split(separator: "\n").count == 2, "the update command ran each time")

        // The state changes: a new update layer, and so a new deps key.
        try "2\n".write(toFile: versions + "/version", atomically: true, encoding: .utf8)
        let changed = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(try changed.json()["changed"] as? Bool == true)
        #expect(try changed.json()["previous"] as? String == updateKey)
        let after = try keys(try sandbox.build("hello"))
        #expect(after["base"] == before["base"])
        #expect(after["update"] != before["update"])
        #expect(after["deps"] != before["deps"])
        #expect(sandbox.installRuns == 2)
        let version = try Sandbox.shell("/bin/tar", ["-xzOf", sandbox.work + "/out/hello_1.0.pkg"])
        #expect(version.status == 0)
        // The new deps layer sits on the new update layer.
        let inspect = try sandbox.strata(["--json", "layers", "inspect", try #require(after["deps"])])
        #expect((try inspect.json()["inputs"] as? [String: Any])?["parent"] as? String == after["update"])
    }

    @Test func planRefusesWithoutAnUpdateLayerAndWarnsWhenItIsTooOld() throws {
        let (sandbox, _) = try sandboxWithUpdate(maxAge: "1s")
        let none = try sandbox.strata(["--json", "plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(none.status == 2)
        #expect(none.stderr.contains("no update layer for it: run 'strata update \(sandbox.profile)'"), "\(none.stderr)")

        #expect(try sandbox.strata(["update", sandbox.profile]).status == 0)
        let fresh = try sandbox.strata(["--json", "plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect((try fresh.json()["update"] as? [String: Any])?["stale"] as? Bool == false)
        #expect(eventually(within: 5) {
            let run = try? sandbox.strata(["--json", "plan", "--profile", sandbox.profile, sandbox.source("hello")])
            return ((try? run?.json()["update"] as? [String: Any])??["stale"] as? Bool) == true
        })
        let stale = try sandbox.strata(["plan", "--profile", sandbox.profile, sandbox.source("hello")])
        #expect(stale.stdout.contains("more than [update] max_age"), "\(stale.stdout)")
    }

    @Test func aFailingUpdateLeavesNoLayerAndExitsThree() throws {
        let (sandbox, _) = try sandboxWithUpdate()
        try sandbox.editProfile { $0.replacingOccurrences(of: "cp /srv/versions/version /etc/distro-version", with: "false") }
        let run = try sandbox.strata(["update", sandbox.profile])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("[update] run command"))
        #expect(sandbox.entries(sandbox.store + "/layers") == [])
        #expect(sandbox.entries(sandbox.store + "/updates") == [])
        try sandbox.expectTornDown(run)
    }
}
