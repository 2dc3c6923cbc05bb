import Foundation
import Testing
@testable import StrataCore

let minimalProfile = """
    [base]
    image = "demo-base"

    [deps]
    resolve = "/srv/repo/resolve"
    install = "/srv/repo/install"

    [build]
    run = "make"
    """

@Suite struct ProfileTests {
    private func load(_ text: String, name: String = "p.toml") throws -> (Result<Profile, StrataError>, String) {
        let directory = try TemporaryDirectory()
        let path = try directory.write(name, text)
        return (Result { () throws(StrataError) in try ProfileLoader(searchPath: []).load(path) }, path)
    }

    @Test func defaultsApplyToAMinimalProfile() throws {
        let (result, _) = try load(minimalProfile)
        let profile = try result.get()
        #expect(profile.name == "p")
        #expect(profile.base.image == "demo-base")
        #expect(profile.deps.format == .lines)
        #expect(profile.build.workdir == "/build/src")
        #expect(profile.build.output == "/build/out")
        #expect(profile.build.network == false)
        #expect(profile.build.user == nil)
        #expect(profile.cacheVersion == 0)
        #expect(profile.arch == ProfileParser.hostArchitecture())
        #expect(profile.mounts.isEmpty)
    }

    @Test func everyDocumentedKeyIsRead() throws {
        let text = """
            arch = "aarch64"
            cache_version = 3

            [base]
            image = "bookworm"

            [deps]
            resolve = "r"
            format = "json"
            install = "i"

            [build]
            run = "dpkg-buildpackage -us -uc -b"
            workdir = "/build/src/pkg"
            user = "build"
            network = true
            output = "/build/results"

            [[mount]]
            source = "/var/cache/strata/apt"
            target = "/var/cache/apt/archives"

            [[mount]]
            source = "/srv/mirror"
            target = "/mirror"
            readonly = true

            [[mount]]
            source = "/srv/pool"
            target = "/pool"
            readonly = true
            kind = "cache"

            [env]
            LANG = "C.UTF-8"
            DEB_BUILD_OPTIONS = "nocheck"
            """
        let (result, _) = try load(text)
        let profile = try result.get()
        #expect(profile.arch == "aarch64")
        #expect(profile.cacheVersion == 3)
        #expect(profile.deps.format == .json)
        #expect(profile.build.user == "build")
        #expect(profile.build.network)
        #expect(profile.build.workdir == "/build/src/pkg")
        #expect(profile.build.output == "/build/results")
        #expect(profile.mounts == [
            .init(source: "/var/cache/strata/apt", target: "/var/cache/apt/archives", readonly: false),
            .init(source: "/srv/mirror", target: "/mirror", readonly: true),
            .init(source: "/srv/pool", target: "/pool", readonly: true, kind: .cache),
        ])
        #expect(profile.mounts.map(\.kind) == [.cache, .input, .cache], "writable defaults to cache, read-only to input")
        #expect(profile.environment == ["LANG": "C.UTF-8", "DEB_BUILD_OPTIONS": "nocheck"])
    }

    // minimalProfile has 9 lines and ends inside [build].
    @Test(arguments: [
        (minimalProfile + "\nnetwrok = true", "unknown key 'build.netwrok'", 10),
        ("cache_versoin = 2\n" + minimalProfile, "unknown key 'cache_versoin'", 1),
        (minimalProfile + "\n[bild]\nrun = \"x\"", "unknown key 'bild'", 10),
        (minimalProfile + "\n[[mount]]\nsource = \"/a\"\ntarget = \"/b\"\nread_only = true", "unknown key 'mount.read_only'", 13),
        (minimalProfile + "\nnetwork = \"no\"", "build.network must be true or false", 10),
        ("cache_version = \"one\"\n" + minimalProfile, "cache_version must be a whole number", 1),
        (minimalProfile.replacingOccurrences(of: "[deps]\n", with: "[deps]\nformat = \"yaml\"\n"), "deps.format must be", 5),
        (minimalProfile + "\n[[mount]]\nsource = \"/a\"\ntarget = \"/b\"\nkind = \"input\"", "kind = \"input\" needs readonly = true", 13),
        (minimalProfile + "\n[[mount]]\nsource = \"/a\"\ntarget = \"/b\"\nkind = \"tools\"", "mount.kind must be \"input\" or \"cache\"", 13),
        // Paths inside the root, user names, arch, [env]: refused when the profile is read.
        (minimalProfile + "\noutput = \"/\"", "build.output '/' must not be / (the whole root)", 10),
        (minimalProfile + "\noutput = \"/proc\"", "must not be at or under /proc", 10),
        (minimalProfile + "\noutput = \"/build/src/out\"", "must not be at or under /build/src", 10),
        (minimalProfile + "\nworkdir = \"/build/src/../x\"", "must not contain '..'", 10),
        (minimalProfile + "\nworkdir = \"/build//src/\"", "must be normalised", 10),
        (minimalProfile + "\nuser = \"build\\nx\"", "build.user 'build\\nx' may hold only", 10),
        (minimalProfile + "\nuser = \"\(String(repeating: "b", count: 33))\"", "must be at most 32 characters", 10),
        (minimalProfile + "\nuser = \"Build\"", "must start with a lowercase letter", 10),
        ("arch = \"\"\n" + minimalProfile, "arch '' is not an architecture name", 1),
        ("arch = \"pdp11\"\n" + minimalProfile, "arch 'pdp11' is not an architecture name", 1),
        (minimalProfile + "\n[[mount]]\nsource = \"/a\"\ntarget = \"/\"", "target '/' must not be / (the whole root)", 12),
        (minimalProfile + "\n[[mount]]\nsource = \"/a\"\ntarget = \"/a/../etc\"", "must not contain '..'", 12),
        (minimalProfile + "\n[[mount]]\nsource = \"/a\"\ntarget = \"/dev/sda\"", "must not be at or under /dev", 12),
        (minimalProfile + "\n[[mount]]\nsource = \"/a\"\ntarget = \"/build/src\"", "must not be at or under /build/src", 12),
        (minimalProfile + "\n[[mount]]\nsource = \"/a\"\ntarget = \"/b\"\n[[mount]]\nsource = \"/c\"\ntarget = \"/b\"", "target /b is mounted twice", 15),
        (minimalProfile + "\noutput = \"/srv/c/out\"\n[[mount]]\nsource = \"/a\"\ntarget = \"/srv/c\"", "is inside the [[mount]] at /srv/c", 10),
        (minimalProfile + "\n[env]\n\"A=B\" = \"x\"", "is not a valid variable name", 11),
        (minimalProfile + "\n[env]\n1A = \"x\"", "is not a valid variable name", 11),
        (minimalProfile + "\n[env]\nA = \"x\\u0000y\"", "NUL", 11),
        (minimalProfile + "\n[env]\nA = \"\(String(repeating: "v", count: 40_000))\"", "a value may be at most 32 KiB", 11),
        ("[base]\nimage = \"x\"\n[build]\nrun = \"make\"\n", "missing [deps] table", 4),
    ])
    func badKeysNameTheFileAndLine(text: String, message: String, line: Int) throws {
        let (result, path) = try load(text)
        guard case .failure(let error) = result else {
            Issue.record("expected an error for: \(text)")
            return
        }
        #expect(error.exitCode == 2)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.message.hasPrefix("\(path):\(line): "), "\(error.message)")
    }

    @Test func aProfileThatIsNotUTF8NamesTheLineAndColumn() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/latin1.toml"
        try Data(Array(minimalProfile.utf8) + Array("\n# caf".utf8) + [0xe9] + Array("\n".utf8)).write(to: URL(fileURLWithPath: path))
        #expect(throws: StrataError.self) { try ProfileLoader(searchPath: []).load(path) }
        do {
            _ = try ProfileLoader(searchPath: []).load(path)
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.message.hasPrefix("\(path):10:6: "), "\(error.message)")
            #expect(error.message.contains("UTF-8"))
        }
    }

    @Test func malformedTOMLNamesTheLine() throws {
        let (result, path) = try load(minimalProfile + "\n[env]\nLANG = \"C.UTF-8\n")
        guard case .failure(let error) = result else {
            Issue.record("malformed TOML was accepted")
            return
        }
        #expect(error.exitCode == 2)
        #expect(error.message.hasPrefix("\(path):11:"), "\(error.message)")
    }

    @Test func missingTablesAndKeysAreReported() throws {
        let (noDeps, _) = try load("[base]\nimage = \"x\"\n[build]\nrun = \"make\"\n")
        #expect(throws: StrataError.self) { try noDeps.get() }
        if case .failure(let error) = noDeps { #expect(error.message.contains("missing [deps] table")) }

        let (noInstall, path) = try load(minimalProfile.replacingOccurrences(of: "install = \"/srv/repo/install\"\n", with: ""))
        if case .failure(let error) = noInstall {
            #expect(error.message.contains("[deps] needs install"))
            #expect(error.message.hasPrefix("\(path):4:"), "\(error.message)")
        } else {
            Issue.record("a [deps] table without install was accepted")
        }
    }

    @Test func relativeMountPathsAndOutputsAreRefused() throws {
        let (relativeMount, _) = try load(minimalProfile + "\n[[mount]]\nsource = \"cache\"\ntarget = \"/var/cache\"\n")
        #expect(throws: StrataError.self) { try relativeMount.get() }
        let (escapingOutput, _) = try load(minimalProfile.replacingOccurrences(of: "run = \"make\"", with: "run = \"make\"\noutput = \"/build/../../etc\""))
        #expect(throws: StrataError.self) { try escapingOutput.get() }
    }

    @Test func profilesAreFoundByNameInTheSearchPath() throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        try second.write("bookworm.toml", minimalProfile)
        let loader = ProfileLoader(searchPath: [first.path, second.path])
        let profile = try loader.load("bookworm")
        #expect(profile.name == "bookworm")
        #expect(profile.path == second.path + "/bookworm.toml")
        #expect(throws: StrataError.self) { try loader.load("sid") }
        let fromEnvironment = ProfileLoader.standard(environment: ["STRATA_PROFILE_PATH": "\(first.path):\(second.path)"])
        #expect(fromEnvironment.searchPath == ["/etc/strata/profiles", first.path, second.path])
    }
}
