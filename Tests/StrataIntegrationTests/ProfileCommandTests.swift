import Foundation
import Testing

/// `strata profile check` and `show`: every shipped profile is valid, broken
/// ones are refused with file, line and key, and `show` prints what strata
/// reads, with the keys each setting goes into.
@Suite(.needsRoot) struct ProfileCommandTests {
    /// Every profile in Examples/ (the demo's once its setup has filled it in).
    static var shippedProfiles: [String] {
        let examples = Sandbox.repository + "/Examples"
        let templates = ((try? FileManager.default.contentsOfDirectory(atPath: examples + "/profiles")) ?? [])
            .filter { $0.hasSuffix(".toml") }.sorted().map { examples + "/profiles/" + $0 }
        return [examples + "/debian/bookworm.toml"] + templates
    }

    @Test func theShippedTemplatesAreThere() {
        let names = Self.shippedProfiles.map { ($0 as NSString).lastPathComponent }
        #expect(Set(["solus.toml", "fedora.toml", "arch.toml", "bookworm.toml"]).isSubset(of: Set(names)), "\(names)")
    }

    @Test(arguments: shippedProfiles)
    func aShippedProfilePassesCheck(path: String) throws {
        let run = try Sandbox.shell(Sandbox.binary, ["--json", "profile", "check", path])
        #expect(run.status == 0, "\(path): \(run.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(document?["valid"] as? Bool == true)
        #expect(document?["path"] as? String == path)
        if !path.contains("/debian/") {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("NOT RUN HERE"), "\(path) must say at its top that it was not run against its distribution")
        }
    }

    @Test func theDemoProfilePassesCheck() throws {
        let sandbox = try Sandbox()
        let run = try sandbox.strata(["profile", "check", sandbox.profile])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "\(sandbox.profile): ok\n")
    }

    /// Each breakage names the file, the line and the key, exits 2, and runs
    /// nothing (no store is made).
    @Test(arguments: [
        ("[build]\nnetwork = true", "[build]\nnetwrok = true", "unknown key 'build.netwrok'"),
        ("[build]\nnetwork = true", "[build]\nnetwork = \"yes\"", "build.network"),
        ("[base]\nimage = \"bookworm\"", "[base]\nimage = \"bookworm", "parsing string"),
        ("[deps]\nformat = \"lines\"", "[deps]\nformat = \"yaml\"", "deps.format"),
        ("[build]\nnetwork = true", "[build]\nnetwork = true\nuser = \"Not A User\"", "build.user"),
        ("[build]\nnetwork = true", "[build]\nnetwork = true\nworkdir = \"../escape\"", "build.workdir"),
        ("[base]\nimage = \"bookworm\"", "[base]\nimage = \"../..\"", "base.image '../..' is not a valid image name"),
        ("[build]\nnetwork = true", "[build.env]\n1X = \"y\"\n\n[build]\nnetwork = true", "build.env key '1X'"),
    ])
    func aBrokenProfileIsRefusedWithFileLineAndKey(original: String, broken: String, key: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-profile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = """
            [base]
            image = "bookworm"

            [deps]
            format = "lines"
            resolve = "true"
            install = "true"

            [build]
            network = true
            run = "true"
            """
        let path = directory + "/broken.toml"
        try #require(base.contains(original))
        try base.replacingOccurrences(of: original, with: broken).write(toFile: path, atomically: true, encoding: .utf8)
        let run = try Sandbox.shell(Sandbox.binary, ["--store", directory + "/store", "profile", "check", path])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(path + ":"), "the error must name the file: \(run.stderr)")
        #expect(run.stderr.range(of: #"broken\.toml:\d+"#, options: .regularExpression) != nil, "the error must name the line: \(run.stderr)")
        #expect(run.stderr.contains(key), "the error must name the key: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/store"), "profile check touched a store")
    }

    /// `show` prints TOML that reads back to the same profile, each setting
    /// under the keys it goes into; --json lists them.
    @Test func showPrintsWhatStrataReadsWithItsKeys() throws {
        let path = Sandbox.repository + "/Examples/debian/bookworm.toml"
        let shown = try Sandbox.shell(Sandbox.binary, ["profile", "show", path])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("# in the deps key: the command text\ninstall = "))
        #expect(shown.stdout.contains("# in no key\nrun = "), "the build command is in no key")
        #expect(shown.stdout.contains("workdir = \"/build/src\""), "defaults must be filled in")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-show-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try shown.stdout.write(toFile: directory + "/bookworm.toml", atomically: true, encoding: .utf8)
        let again = try Sandbox.shell(Sandbox.binary, ["profile", "show", directory + "/bookworm.toml"])
        #expect(again.status == 0, "show's output does not read back: \(again.stderr)")
        let body = { (text: String) in text.split(separator: "\n").dropFirst().joined(separator: "\n") }
        #expect(body(again.stdout) == body(shown.stdout), "show's output reads back to another profile")

        let json = try Sandbox.shell(Sandbox.binary, ["--json", "profile", "show", path])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let settings = try #require(document["settings"] as? [[String: Any]])
        let keys = Dictionary(settings.map { ($0["setting"] as? String ?? "", $0["keys"] as? [String] ?? ["?"]) }, uniquingKeysWith: { first, _ in first })
        #expect(keys["deps.install"] == ["deps"])
        #expect(keys["update.run"] == ["update"])
        #expect(keys["base.image"] == ["base"])
        #expect(keys["build.run"] == [])
        #expect(keys["deps.inputs"] == ["resolution"])
        #expect(keys["env"] == ["update", "deps", "resolution"])
    }
}
