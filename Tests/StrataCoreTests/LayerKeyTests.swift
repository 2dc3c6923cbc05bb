import Testing
@testable import StrataCore

@Suite struct LayerKeyTests {
    private static let digest = "sha256:" + String(repeating: "ab", count: 32)

    private func profile(_ transform: (inout Profile) -> Void = { _ in }) throws -> Profile {
        let directory = try TemporaryDirectory()
        var profile = try ProfileLoader(searchPath: []).load(try directory.write("base.toml", minimalProfile))
        transform(&profile)
        return profile
    }

    private func depsKey(_ profile: Profile, _ lines: String, digest: String = digest) throws -> LayerKey {
        let base = InputManifest.base(imageDigest: digest, arch: profile.arch, cacheVersion: profile.cacheVersion)
        let resolved = try ResolvedDependencies.parse(Array(lines.utf8), format: .lines, source: "test")
        return InputManifest.deps(parent: base.key, imageDigest: digest, profile: profile,
                                  mounts: try MountInputs.digest(profile), resolved: resolved).key
    }

    private let set = "gcc 12.2 14 aa\nmake 4.3 4 bb\nzlib 1.2.13 1 cc\n"

    @Test func keysAreSHA256Hex() throws {
        let key = try depsKey(try profile(), set)
        #expect(LayerKey(validating: key.hex) == key)
        #expect(key.hex.count == 64)
    }

    @Test func orderAndDuplicatesInResolverOutputKeepTheKey() throws {
        let profile = try profile()
        let reordered = "zlib 1.2.13 1 cc\ngcc 12.2 14 aa\nmake 4.3 4 bb\ngcc 12.2 14 aa\n"
        #expect(try depsKey(profile, set) == depsKey(profile, reordered))
    }

    @Test(arguments: [
        ("version", "gcc 12.3 14 aa\nmake 4.3 4 bb\nzlib 1.2.13 1 cc\n"),
        ("release", "gcc 12.2 15 aa\nmake 4.3 4 bb\nzlib 1.2.13 1 cc\n"),
        ("hash", "gcc 12.2 14 ff\nmake 4.3 4 bb\nzlib 1.2.13 1 cc\n"),
        ("added", "gcc 12.2 14 aa\nmake 4.3 4 bb\nzlib 1.2.13 1 cc\nbison 3.8 1 dd\n"),
        ("removed", "gcc 12.2 14 aa\nmake 4.3 4 bb\n"),
    ])
    func aChangedResolvedSetChangesTheKey(change: String, lines: String) throws {
        let profile = try profile()
        #expect(try depsKey(profile, set) != depsKey(profile, lines), "\(change)")
    }

    @Test func baseImageArchCacheVersionAndRecipeChangeTheKey() throws {
        let original = try depsKey(try profile(), set)
        #expect(try depsKey(try profile(), set, digest: "sha256:" + String(repeating: "cd", count: 32)) != original)
        #expect(try depsKey(try profile { $0.arch = "riscv64" }, set) != original)
        #expect(try depsKey(try profile { $0.cacheVersion = 7 }, set) != original)
        #expect(try depsKey(try profile { $0.deps.install += " --no-recommends" }, set) != original)
        #expect(try depsKey(try profile { $0.environment["LANG"] = "C" }, set) != original)
        #expect(try depsKey(try profile { $0.mounts = [.init(source: "/a", target: "/b")] }, set) != original)
        #expect(try depsKey(try profile { $0.mounts = [.init(source: "/a", target: "/b")] }, set)
                != depsKey(try profile { $0.mounts = [.init(source: "/a", target: "/c")] }, set))
    }

    @Test func profileNameBuildCommandAndResolverDoNotChangeTheKey() throws {
        let original = try depsKey(try profile(), set)
        #expect(try depsKey(try profile { $0.name = "renamed"; $0.path = "/elsewhere/renamed.toml" }, set) == original)
        #expect(try depsKey(try profile { $0.build.run = "dpkg-buildpackage -b" }, set) == original)
        #expect(try depsKey(try profile { $0.build.user = "builder"; $0.build.network = true }, set) == original)
        #expect(try depsKey(try profile { $0.deps.resolve = "another resolver" }, set) == original)
    }

    @Test func theKeyIsTheHashOfTheStoredManifest() throws {
        let profile = try profile()
        let base = InputManifest.base(imageDigest: Self.digest, arch: profile.arch, cacheVersion: profile.cacheVersion)
        let manifest = InputManifest.deps(parent: base.key, imageDigest: Self.digest, profile: profile,
                                          mounts: try MountInputs.digest(profile), resolved: ResolvedDependencies([]))
        let encoded = try CanonicalJSON.encodePretty(LayerRecord(key: manifest.key, created: "now", inputs: manifest))
        let decoded = try JSONDecoder().decode(LayerRecord.self, from: encoded)
        #expect(decoded.inputs == manifest)
        #expect(decoded.inputs.key == decoded.key)
    }

    /// The exact key of one fixed manifest. If this fails, the encoding of
    /// input manifests changed: every store and registry cache would lose
    /// every layer. Bump `InputManifest.currentFormat` only on purpose (see
    /// "When the layer format changes" in Docs/lifecycle.md), then update this.
    @Test func theKeyOfAFixedManifestNeverChanges() throws {
        let manifest = InputManifest(
            format: 1, role: .deps, parent: LayerKey(String(repeating: "0", count: 64)), imageDigest: Self.digest,
            arch: "x86_64", cacheVersion: 3,
            dependencies: [Dependency(name: "gcc", version: "12.2", release: "14", packageHash: "aa"),
                           Dependency(name: "zlib", version: "1.2.13", release: nil, packageHash: nil)],
            state: nil,
            recipe: .init(command: "/usr/bin/install-deps \"$STRATA_DEPS_FILE\"", environment: ["LANG": "C.UTF-8"],
                          mounts: [], network: true))
        let canonical = #"{"arch":"x86_64","cache_version":3,"dependencies":[{"name":"gcc","package_hash":"aa","release":"14","version":"12.2"},{"name":"zlib","version":"1.2.13"}],"format":1,"image_digest":"sha256:"# + String(repeating: "ab", count: 32) + #"","parent":""# + String(repeating: "0", count: 64) + #"","recipe":{"command":"/usr/bin/install-deps \"$STRATA_DEPS_FILE\"","environment":{"LANG":"C.UTF-8"},"mounts":[],"network":true},"role":"deps"}"#
        #expect(String(decoding: try CanonicalJSON.encode(manifest), as: UTF8.self) == canonical)
        // sha256 of `canonical`, computed outside Swift (python3's hashlib) when this test was written.
        #expect(manifest.key.hex == "f0b029fdb33a1a6432ee26806017bac606f5a7fa3daca23acc7da3e18f008a84")
    }

    /// Mount kinds: an input mount by its content, a cache mount by its target only.
    @Test func inputMountsAreKeyedByContentAndCacheMountsByTargetOnly() throws {
        let tools = try TemporaryDirectory()
        try tools.write("install-exact", "#!/bin/sh\necho one\n")
        let input = { (source: String) throws -> LayerKey in
            try self.depsKey(try self.profile { $0.mounts = [.init(source: source, target: "/srv/tools", readonly: true)] }, self.set)
        }
        let first = try input(tools.path)
        let copy = try TemporaryDirectory()
        try copy.write("install-exact", "#!/bin/sh\necho one\n")
        #expect(try input(copy.path) == first, "the same content at another host path is the same input")
        try tools.write("install-exact", "#!/bin/sh\necho two\n")
        #expect(try input(tools.path) != first, "one changed byte must change the key")

        let cache = { (source: String) throws -> LayerKey in
            try self.depsKey(try self.profile { $0.mounts = [.init(source: source, target: "/var/cache/apt/archives")] }, self.set)
        }
        #expect(try cache("/srv/cacheA") == cache("/srv/cacheB"), "a cache mount's host path is not in the key")
        #expect(try cache("/srv/cacheA") != depsKey(try profile { $0.mounts = [.init(source: "/srv/cacheA", target: "/var/cache/other")] }, set))
    }
}

import Foundation
