import Foundation
import Testing

/// A pull or push that goes wrong fails with a message that says what, and
/// leaves no layer (and no temporary layer) behind. Real registry, with
/// faults made in its storage or by a proxy in front of it. Needs root.
@Suite(.needsRoot) struct RegistryFailureTests {
    /// A sandbox whose hello deps layer (on an update layer, so a pull has
    /// two blobs to fetch) is pushed; returns the deps key.
    static func pushedChain(_ sandbox: Sandbox, to registry: RegistryServer) throws -> (update: String, deps: String) {
        try sandbox.editProfile { $0 + "\n[update]\nrun = \"echo 1 > /etc/distro-version\"\nstate = \"cat /etc/distro-version\"\n" }
        let updated = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(updated.status == 0, "\(updated.stderr)")
        let deps = try RegistryTests.builtHello(sandbox)
        let pushed = try sandbox.strata(["--json", "push", deps, "--to", registry.repository])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        return (try #require(try updated.json()["key"] as? String), deps)
    }

    static func digests(_ sandbox: Sandbox, _ key: String) throws -> [String] {
        let exported = sandbox.work + "/probe-" + key.prefix(8)
        let run = try sandbox.strata(["--json", "layers", "export", key, "-o", exported])
        #expect(run.status == 0, "\(run.stderr)")
        return [try #require(try run.json()["digest"] as? String)]
    }

    /// Pulls into a new empty store; expects failure, a message, and nothing left.
    static func expectFailedPull(_ sandbox: Sandbox, key: String, from repository: String, status: Int32,
                                 mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let other = try sandbox.secondStore("store-" + UUID().uuidString.prefix(6))
        let pulled = try sandbox.strata(["--store", other, "pull", key, "--from", repository])
        #expect(pulled.status == status, "\(pulled.stderr)", sourceLocation: sourceLocation)
        for word in words {
            #expect(pulled.stderr.contains(word), "'\(word)' not in: \(pulled.stderr)", sourceLocation: sourceLocation)
        }
        #expect(sandbox.layerDirectories(in: other) == [], "left in layers/: \(sandbox.layerDirectories(in: other))", sourceLocation: sourceLocation)
        // The store works: a build there makes the update layer and installs the deps layer itself.
        let built = try sandbox.strata(sandbox.buildArguments("hello") + ["--store", other, "--update-if-missing"])
        #expect(built.status == 0, "\(built.stderr)", sourceLocation: sourceLocation)
        #expect(try RegistryTests.layer(built, role: "deps")["origin"] as? String == "built", sourceLocation: sourceLocation)
    }

    @Test func aTamperedBlobIsRefused() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let (_, deps) = try Self.pushedChain(sandbox, to: registry)
        let blob = registry.blobFile(try Self.digests(sandbox, deps)[0])
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: blob)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: blob))
        try Self.expectFailedPull(sandbox, key: deps, from: registry.repository, status: 2,
                                  mentioning: ["tampered", "nothing was stored"])
    }

    @Test func aManifestNamingAMissingBlobIsRefused() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let (_, deps) = try Self.pushedChain(sandbox, to: registry)
        let blob = registry.blobFile(try Self.digests(sandbox, deps)[0])
        try FileManager.default.removeItem(atPath: (blob as NSString).deletingLastPathComponent)
        try Self.expectFailedPull(sandbox, key: deps, from: registry.repository, status: 2,
                                  mentioning: ["is missing from", "push the layer again"])
    }

    @Test func aRegistryFailingMidwayLeavesNoLayer() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let (_, deps) = try Self.pushedChain(sandbox, to: registry)
        // The config and the first layer's blob come through; the second fails.
        let failing = try RegistryProxy(upstream: registry, mode: ["fail-blob-get", "2"])
        try Self.expectFailedPull(sandbox, key: deps, from: failing.repository, status: 4,
                                  mentioning: ["answered 500", "injected failure"])
        // A download cut off halfway fails the same way.
        let cutting = try RegistryProxy(upstream: registry, mode: ["cut-blob-get"])
        try Self.expectFailedPull(sandbox, key: deps, from: cutting.repository, status: 4, mentioning: ["could not talk to"])
    }

    @Test func aKilledPullLeavesNoLayerAndIsSweptByTheNextOne() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let (update, deps) = try Self.pushedChain(sandbox, to: registry)
        let other = try sandbox.secondStore()
        let pauseFile = sandbox.work + "/paused"
        // Both layers extracted and verified, neither renamed into place.
        let strata = try sandbox.start(["--store", other, "pull", deps, "--from", registry.repository],
                                       environment: ["STRATA_TEST_PAUSE_AT": "import-layer", "STRATA_TEST_PAUSE_FILE": pauseFile])
        #expect(eventually(within: 60) { FileManager.default.fileExists(atPath: pauseFile) })
        kill(strata.processIdentifier, SIGKILL)
        strata.waitUntilExit()
        let left = sandbox.layerDirectories(in: other)
        #expect(!left.contains(deps) && !left.contains(update))
        #expect(left.contains { $0.hasPrefix(".tmp-") }, "the killed pull's temporaries: \(left)")

        let again = try sandbox.strata(["--store", other, "pull", deps, "--from", registry.repository])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(sandbox.layerDirectories(in: other) == [update, deps].sorted())
    }

    @Test func aTruncatedUploadFailsAndTagsNothing() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let deps = try RegistryTests.builtHello(sandbox)
        let truncating = try RegistryProxy(upstream: registry, mode: ["truncate-upload"])
        let pushed = try sandbox.strata(["push", deps, "--to", truncating.repository])
        #expect(pushed.status == 4, "\(pushed.stderr)")
        #expect(pushed.stderr.contains("upload blob") && pushed.stderr.contains("DIGEST_INVALID"), "\(pushed.stderr)")
        // Nothing was tagged: a pull finds no layer, and leaves none.
        try Self.expectFailedPull(sandbox, key: deps, from: registry.repository, status: 2, mentioning: ["has no layer"])
        // Pushed properly, the same layer goes through.
        let retried = try sandbox.strata(["push", deps, "--to", registry.repository])
        #expect(retried.status == 0, "\(retried.stderr)")
    }

    @Test func credentialsComeFromDockerConfigOrTheEnvironment() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work, htpasswd: ("builder", "s3cret"))
        let deps = try RegistryTests.builtHello(sandbox)
        let nowhere = ["HOME": sandbox.work + "/nohome", "DOCKER_CONFIG": "", "REGISTRY_AUTH_FILE": "", "XDG_RUNTIME_DIR": ""]

        let anonymous = try sandbox.strata(["push", deps, "--to", registry.repository], environment: nowhere)
        #expect(anonymous.status == 4)
        #expect(anonymous.stderr.contains("STRATA_REGISTRY_USERNAME"), "\(anonymous.stderr)")

        var wrong = nowhere
        wrong["STRATA_REGISTRY_USERNAME"] = "builder"
        wrong["STRATA_REGISTRY_PASSWORD"] = "guess"
        let refused = try sandbox.strata(["push", deps, "--to", registry.repository], environment: wrong)
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("check the credentials"), "\(refused.stderr)")

        // docker login writes this: auths, keyed by host:port, base64 user:password.
        let config = sandbox.work + "/docker"
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        let auth = Data("builder:s3cret".utf8).base64EncodedString()
        try #"{"auths": {"127.0.0.1:\#(registry.port)": {"auth": "\#(auth)"}}}"#
            .write(toFile: config + "/config.json", atomically: true, encoding: .utf8)
        var docker = nowhere
        docker["DOCKER_CONFIG"] = config
        let pushed = try sandbox.strata(["push", deps, "--to", registry.repository], environment: docker)
        #expect(pushed.status == 0, "\(pushed.stderr)")

        var variables = nowhere
        variables["STRATA_REGISTRY_USERNAME"] = "builder"
        variables["STRATA_REGISTRY_PASSWORD"] = "s3cret"
        let other = try sandbox.secondStore()
        let pulled = try sandbox.strata(["--store", other, "pull", deps, "--from", registry.repository], environment: variables)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(sandbox.layerDirectories(in: other) == [deps])
    }

    @Test func bearerTokensAreFetchedFromTheRealmTheRegistryNames() throws {
        let sandbox = try Sandbox()
        let registry = try RegistryServer(in: sandbox.work)
        let deps = try RegistryTests.builtHello(sandbox)
        let tokens = try RegistryProxy(upstream: registry, mode: ["bearer", "builder:s3cret"])
        var environment = ["HOME": sandbox.work + "/nohome", "DOCKER_CONFIG": "", "REGISTRY_AUTH_FILE": "", "XDG_RUNTIME_DIR": ""]

        let anonymous = try sandbox.strata(["push", deps, "--to", tokens.repository], environment: environment)
        #expect(anonymous.status == 4)
        #expect(anonymous.stderr.contains("token service"), "\(anonymous.stderr)")

        environment["STRATA_REGISTRY_USERNAME"] = "builder"
        environment["STRATA_REGISTRY_PASSWORD"] = "s3cret"
        let pushed = try sandbox.strata(["push", deps, "--to", tokens.repository], environment: environment)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let other = try sandbox.secondStore()
        let pulled = try sandbox.strata(["--store", other, "pull", deps, "--from", tokens.repository], environment: environment)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(sandbox.layerDirectories(in: other) == [deps])
    }
}
