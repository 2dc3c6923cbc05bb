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
        return InputManifest.deps(parent: base.key, imageDigest: digest, profile: profile, resolved: resolved).key
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
        let manifest = InputManifest.deps(parent: base.key, imageDigest: Self.digest, profile: profile, resolved: ResolvedDependencies([]))
        let encoded = try CanonicalJSON.encodePretty(LayerRecord(key: manifest.key, created: "now", inputs: manifest))
        let decoded = try JSONDecoder().decode(LayerRecord.self, from: encoded)
        #expect(decoded.inputs == manifest)
        #expect(decoded.inputs.key == decoded.key)
    }
}

import Foundation
