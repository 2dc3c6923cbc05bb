import Foundation
import Testing

/// Sharing layers through a real OCI registry (docker-registry on
/// 127.0.0.1): push from one store, pull into another, and every way a
/// registry can hand back something it should not. Needs root.
@Suite(.needsRoot) struct RegistryTests {
    static func layer(_ run: Sandbox.Run, role: String) throws -> [String: Any] {
        let layers = try #require(try run.json()["layers"] as? [[String: Any]], "no layers in \(run.stdout)")
        return try #require(layers.first { $0["role"] as? String == role }, "no \(role) layer in \(run.stdout)")
    }

    /// A sandbox that built hello once: its deps layer key.
    static func builtHello(_ sandbox: Sandbox) throws -> String {
        let built = try sandbox.build("hello")
        #expect(built.status == 0, "\(built.stderr)")
        return try #require(try layer(built, role: "deps")["key"] as? String)
    }

    @Test func aPulledLayerIsUsedWithoutRunningTheInstall() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let key = try Self.builtHello(sandbox)
        #expect(sandbox.installRuns == 1)

        let pushed = try sandbox.strata(["--json", "push", key, "--to", registry.repository])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let pushedLayers = try #require(try pushed.json()["layers"] as? [[String: Any]])
        #expect(pushedLayers.map { $0["uploaded"] as? Bool } == [true])
        let again = try sandbox.strata(["--json", "push", key, "--to", registry.repository])
        #expect(try (again.json()["layers"] as? [[String: Any]])?.map { $0["uploaded"] as? Bool } == [false],
                "a second push sends nothing")

        // The second machine: an empty store, same profile, same base.
        let other = try sandbox.secondStore()
        let pulled = try sandbox.strata(["--json", "--store", other, "pull", key, "--from", registry.repository])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(try (pulled.json()["layers"] as? [[String: Any]])?.map { $0["pulled"] as? Bool } == [true])
        let built = try sandbox.strata(sandbox.buildArguments("hello") + ["--store", other])
        #expect(built.status == 0, "\(built.stderr)")
        let deps = try Self.layer(built, role: "deps")
        #expect(deps["key"] as? String == key)
        #expect(deps["origin"] as? String == "store")
        #expect(sandbox.installRuns == 1, "the second store used the pulled layer: no install ran")
        try sandbox.expectTornDown(built)

        // The registry's blob is byte for byte what `layers export` writes.
        let exported = sandbox.work + "/deps.tar.zst"
        let export = try sandbox.strata(["--json", "--store", other, "layers", "export", key, "-o", exported])
        #expect(export.status == 0, "\(export.stderr)")
        let digest = try #require(pushedLayers.first?["digest"] as? String)
        #expect(try export.json()["digest"] as? String == digest)
        #expect(FileManager.default.contentsEqual(atPath: exported, andPath: registry.blobFile(digest)))
    }

    @Test func buildCacheFromPullsAndCacheToPushes() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let first = try sandbox.strata(sandbox.buildArguments("hello") + ["--cache-from", registry.repository, "--cache-to", registry.repository])
        #expect(first.status == 0, "\(first.stderr)")
        let built = try Self.layer(first, role: "deps")
        #expect(built["origin"] as? String == "built", "nothing to pull from an empty registry")
        #expect(built["pushed"] as? Bool == true)
        #expect(try first.json()["warnings"] == nil)

        let other = try sandbox.secondStore()
        let second = try sandbox.strata(sandbox.buildArguments("hello") + ["--store", other, "--cache-from", registry.repository])
        #expect(second.status == 0, "\(second.stderr)")
        let pulled = try Self.layer(second, role: "deps")
        #expect(pulled["origin"] as? String == "pulled")
        #expect(pulled["reused"] as? Bool == false)
        #expect(pulled["key"] as? String == built["key"] as? String)
        #expect(sandbox.installRuns == 1)

        // A cache that cannot be reached is a warning: the layer is built here.
        let third = try sandbox.secondStore("store-d")
        let unreachable = "127.0.0.1:\(try freePort())/strata/cache"
        let offline = try sandbox.strata(sandbox.buildArguments("hello") + ["--store", third, "--cache-from", unreachable])
        #expect(offline.status == 0, "\(offline.stderr)")
        #expect(try Self.layer(offline, role: "deps")["origin"] as? String == "built")
        let warnings = try #require(try offline.json()["warnings"] as? [String])
        #expect(warnings.count == 1 && warnings[0].contains("could not talk to 127.0.0.1"), "\(warnings)")
        #expect(sandbox.installRuns == 2)
    }

    @Test func parentLayersArePushedAndPulledWithTheirChildren() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile { $0 + "\n[update]\nrun = \"echo 1 > /etc/distro-version\"\nstate = \"cat /etc/distro-version\"\n" }
        let registry = try RegistryServer(in: sandbox.work)
        let updated = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(updated.status == 0, "\(updated.stderr)")
        let updateKey = try #require(try updated.json()["key"] as? String)
        let key = try Self.builtHello(sandbox)

        let pushed = try sandbox.strata(["--json", "push", key, "--to", registry.repository])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let layers = try #require(try pushed.json()["layers"] as? [[String: Any]])
        #expect(layers.map { $0["key"] as? String } == [updateKey, key], "parents first")
        #expect(layers.map { $0["uploaded"] as? Bool } == [true, true])

        // Each layer has its own tag: the parent can be pulled on its own.
        let parentOnly = try sandbox.secondStore("store-parent")
        let parent = try sandbox.strata(["--json", "--store", parentOnly, "pull", updateKey, "--from", registry.repository])
        #expect(parent.status == 0, "\(parent.stderr)")
        #expect(sandbox.layerDirectories(in: parentOnly) == [updateKey])

        let other = try sandbox.secondStore()
        let pulled = try sandbox.strata(["--json", "--store", other, "pull", key, "--from", registry.repository])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(try (pulled.json()["layers"] as? [[String: Any]])?.map { $0["pulled"] as? Bool } == [true, true])
        #expect(sandbox.layerDirectories(in: other) == [updateKey, key].sorted())
        // With the update layer in place (same state), the build reuses both.
        let update = try sandbox.strata(["--json", "--store", other, "update", sandbox.profile])
        #expect(try update.json()["key"] as? String == updateKey)
        #expect(try update.json()["created"] as? Bool == false)
        let built = try sandbox.strata(sandbox.buildArguments("hello") + ["--store", other])
        #expect(try Self.layer(built, role: "deps")["origin"] as? String == "store")
        #expect(sandbox.installRuns == 1)
    }

    @Test func httpsTrustsOnlyTheCertificatesItIsGiven() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work, tls: true)
        let key = try Self.builtHello(sandbox)
        let repository = "https://" + registry.repository

        let untrusted = try sandbox.strata(["push", key, "--to", repository])
        #expect(untrusted.status == 4)
        #expect(untrusted.stderr.contains("could not talk to") && untrusted.stderr.contains("certificate"), "\(untrusted.stderr)")

        let trust = ["STRATA_REGISTRY_CA_FILE": registry.certificate]
        let pushed = try sandbox.strata(["push", key, "--to", repository], environment: trust)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let other = try sandbox.secondStore()
        let pulled = try sandbox.strata(["--store", other, "pull", key, "--from", repository], environment: trust)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(sandbox.layerDirectories(in: other) == [key])
    }

    @Test func skopeoReadsWhatStrataPushed() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let key = try Self.builtHello(sandbox)
        let pushed = try sandbox.strata(["--json", "push", key, "--to", registry.repository])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let digests = try #require(try (pushed.json()["layers"] as? [[String: Any]])?.compactMap { $0["digest"] as? String })

        let layout = sandbox.work + "/oci"
        let copied = try Sandbox.shell("/usr/bin/skopeo", ["copy", "--src-tls-verify=false",
                                                           "docker://\(registry.repository):\(key)", "oci:\(layout):\(key)"])
        #expect(copied.status == 0, "skopeo copy failed: \(copied.stderr)")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))) as? [String: Any]
        let manifestDigest = try #require((index?["manifests"] as? [[String: Any]])?.first?["digest"] as? String)
        let manifestFile = layout + "/blobs/sha256/" + manifestDigest.dropFirst(7)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestFile))) as? [String: Any]
        let layers = try #require(manifest?["layers"] as? [[String: Any]])
        #expect(layers.compactMap { $0["digest"] as? String } == digests)
        #expect(layers.compactMap { $0["mediaType"] as? String } == ["application/vnd.oci.image.layer.v1.tar+zstd"])
        let config = try #require(manifest?["config"] as? [String: Any])
        #expect(config["mediaType"] as? String == "application/vnd.oci.image.config.v1+json")

        let inspected = try Sandbox.shell("/usr/bin/skopeo", ["inspect", "--tls-verify=false", "docker://\(registry.repository):\(key)"])
        #expect(inspected.status == 0, "\(inspected.stderr)")
        #expect(inspected.stdout.contains("\"dev.strata.layer.key\": \"\(key)\""), "\(inspected.stdout)")
    }
}
