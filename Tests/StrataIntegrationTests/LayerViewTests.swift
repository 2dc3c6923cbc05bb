import Foundation
import Testing

/// A deps layer's view: the first build that reuses the layer merges its stack
/// into one directory of hard links, and every build's root is then its
/// scratch over that directory alone, showing exactly what the stacked layers show.
/// Real overlay mounts; needs root.
@Suite(.needsRoot) struct LayerViewTests {
    private func views(_ sandbox: Sandbox, _ key: String) -> [String] {
        sandbox.entries(sandbox.store + "/layers/" + key).filter { $0.hasPrefix("view-") }
    }

    private func upper(_ sandbox: Sandbox, _ key: String) -> String {
        sandbox.store + "/layers/" + key + "/upper"
    }

    /// The lower layers of the overlay mounted at / in a mount table.
    private func rootLowers(_ table: String) throws -> [String] {
        let line = try #require(table.split(separator: "\n").first { $0.split(separator: " ")[4] == "/" && $0.contains(" - overlay ") },
                                "no overlay at / in \(table)")
        let options = try #require(line.components(separatedBy: " - overlay ").last?.split(separator: " ").last)
        // Colons inside a path are escaped with a backslash.
        return options.split(separator: ",").filter { $0.hasPrefix("lowerdir") }.flatMap { option in
            String(option.drop { $0 != "=" }.dropFirst()).replacingOccurrences(of: "\\:", with: "\u{1}")
                .split(separator: ":").map { $0.replacingOccurrences(of: "\u{1}", with: ":") }
        }
    }

    @Test func theViewShowsWhatTheStackedLayersShowWhiteoutsAndOpaqueDirectoriesToo() throws {
        let (sandbox, key, _) = try LayerExchangeTests.layerWithDeletions()
        #expect(views(sandbox, key).isEmpty, "the build that made the layer made its view too")
        let reused = try sandbox.build("hello")
        #expect(reused.status == 0, "\(reused.stderr)")
        let found = views(sandbox, key)
        try #require(found.count == 1, "the build made no view: \(sandbox.entries(sandbox.store + "/layers/" + key))")
        let view = sandbox.store + "/layers/" + key + "/" + found[0]
        let stacked = try LayerExchangeTests.mergedView([upper(sandbox, key), sandbox.store + "/images/exchange-base/rootfs"], in: sandbox.work)
        let listed = try LayerExchangeTests.listTree(view)
        let same = listed == stacked
        #expect(same, "the view differs from the stack: \(Set(listed).symmetricDifference(stacked).sorted())")
        #expect(!listed.contains { $0.hasPrefix("etc/doomed.conf") || $0.hasPrefix("usr/share/doomed") || $0.hasPrefix("var/opaque/old") })
        #expect(listed.contains { $0.hasPrefix("var/opaque/new ") } && listed.contains { $0.hasPrefix("usr/bin/tool -rwsr-xr-x") })

        // The next build uses the same view, and leaves no temporary behind.
        let again = try sandbox.build("hello")
        #expect(again.status == 0, "\(again.stderr)")
        try sandbox.expectTornDown(again)
        #expect(views(sandbox, key) == found)
        #expect(!sandbox.entries(sandbox.store + "/layers").contains { $0.hasPrefix(".tmp-") })

        // Removed with its layer.
        let removed = try sandbox.strata(["layers", "rm", "--force", key])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: view))
    }

    @Test func aBuildOverAStackOfDepsLayersMountsTheViewAsItsOnlyLowerLayer() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile { $0.replacingOccurrences(of: "[deps]\n", with: "[deps]\nincremental = true\n") }
        try sandbox.addPackage("only-greet", buildDepends: "greet\n")
        // It builds nothing: only its layer matters.
        try sandbox.writeBuildScript("#!/bin/sh\ntrue\n", for: "only-greet")
        let first = try sandbox.build("only-greet")
        #expect(first.status == 0, "\(first.stderr)")
        try sandbox.copyHello(as: "mounts", buildScript: "#!/bin/sh\nset -eu\ncat /proc/self/mountinfo > /build/out/mountinfo\n")

        // The first build makes the layer (stacked on only-greet's), the second reuses it.
        #expect(try sandbox.build("mounts").status == 0)
        let run = try sandbox.build("mounts")
        #expect(run.status == 0, "\(run.stderr)")
        let layers = try #require(try run.json()["layers"] as? [[String: Any]])
        let deps = try #require(layers.first { $0["role"] as? String == "deps" })
        let key = try #require(deps["key"] as? String)
        let standsOn = try #require(deps["stands_on"] as? String, "the layer was not stacked: \(deps)")
        let table = try String(contentsOfFile: sandbox.work + "/out/mountinfo", encoding: .utf8)
        let lowers = try rootLowers(table)
        #expect(lowers.count == 1, "the root stacks more than the view: \(lowers)")

        let stack = [upper(sandbox, key), upper(sandbox, standsOn)]
            + layers.filter { $0["role"] as? String == "update" }.compactMap { ($0["key"] as? String).map { upper(sandbox, $0) } }
            + [sandbox.store + "/images/demo-base/rootfs"]
        let found = views(sandbox, key)
        try #require(found.count == 1)
        let listed = try LayerExchangeTests.listTree(sandbox.store + "/layers/" + key + "/" + found[0])
        let stacked = try LayerExchangeTests.mergedView(stack, in: sandbox.work)
        let same = listed == stacked
        #expect(same, "the view differs from the stack: \(Set(listed).symmetricDifference(stacked).sorted())")
    }

    @Test func aLayerMadeAnewUnderTheSameKeyGetsAViewOfItsOwn() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.build("hello").status == 0)
        #expect(try sandbox.build("hello").status == 0)
        let key = try #require(sandbox.layerDirectories(in: sandbox.store).first { !views(sandbox, $0).isEmpty })
        let before = views(sandbox, key)
        // The layer's upper, made anew (as a repair would make the layer): the
        // old view's links no longer name what the layer holds.
        let layer = sandbox.store + "/layers/" + key
        try FileManager.default.moveItem(atPath: layer + "/upper", toPath: sandbox.work + "/old-upper")
        let copy = try Sandbox.shell("/bin/cp", ["-a", sandbox.work + "/old-upper", layer + "/upper"])
        #expect(copy.status == 0, "\(copy.stderr)")
        try "changed\n".write(toFile: layer + "/upper/changed-after", atomically: false, encoding: .utf8)

        try sandbox.copyHello(as: "look", buildScript: "#!/bin/sh\nset -eu\ncat /changed-after > /build/out/seen\n")
        let run = try sandbox.build("look")
        #expect(run.status == 0, "\(run.stderr)")
        #expect((try? String(contentsOfFile: sandbox.work + "/out/seen", encoding: .utf8)) == "changed\n",
                "the build used the view of the old upper: \(sandbox.entries(sandbox.work + "/out")) \(run.stderr)")
        // The old view, for a directory that is gone, is removed.
        let after = views(sandbox, key)
        #expect(after.count == 1 && after != before, "views before: \(before), after: \(after)")
    }

    @Test func aStackTooDeepForAViewIsBuiltOnTheStackedLayers() throws {
        let sandbox = try Sandbox()
        let deep = "/opt/" + Array(repeating: "d", count: 300).joined(separator: "/")
        try sandbox.editProfile {
            $0.replacingOccurrences(of: #"install = "echo run >> /srv/log/installs &&"#,
                                    with: #"install = "mkdir -p \#(deep) && echo deep > \#(deep)/f && echo run >> /srv/log/installs &&"#)
        }
        try sandbox.copyHello(as: "look", buildScript: "#!/bin/sh\nset -eu\ncat \(deep)/f > /build/out/deep\n")
        for _ in 0..<2 {
            let run = try sandbox.build("look")
            #expect(run.status == 0, "\(run.stderr)")
            try sandbox.expectTornDown(run)
        }
        #expect((try? String(contentsOfFile: sandbox.work + "/out/deep", encoding: .utf8)) == "deep\n")
        let layers = sandbox.layerDirectories(in: sandbox.store).filter { !$0.hasPrefix(".") }
        #expect(layers.allSatisfy { views(sandbox, $0).isEmpty }, "a view was made of a tree deeper than the flattener takes")
        #expect(!sandbox.entries(sandbox.store + "/layers").contains { $0.hasPrefix(".tmp-") })
    }
}
