import Foundation
import Testing
@testable import StrataOS

/// The files `[deps] inputs` patterns name in a source tree.
@Suite struct SourceFilesTests {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "strata-source-" + UUID().uuidString
        for file in ["debian/control", "debian/rules", "debian/.hidden", "debian/patches/a.patch", "debian/patches/deep/b.patch",
                     "build-depends", "src/main.c"] {
            let path = root + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try file.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createSymbolicLink(atPath: root + "/linked", withDestinationPath: "debian")
    }

    @Test(arguments: [
        ("debian/control", ["debian/control"]),
        ("debian/*", ["debian/control", "debian/patches", "debian/rules"]),
        ("debian/.*", ["debian/.hidden"]),
        ("*/control", ["debian/control"]),
        ("debian/patches/**/*.patch", ["debian/patches/a.patch", "debian/patches/deep/b.patch"]),
        ("missing", []),
        ("linked/control", []),
        ("linked", ["linked"]),
    ])
    func patternsMatchWithinTheSourceAndNeverThroughALink(pattern: String, expected: [String]) throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try SourceFiles.matching(pattern, in: root) == expected)
    }

    @Test func aDigestFollowsTheBytesAndALinkIsItsTarget() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = try SourceFiles.digest(of: "debian/control", in: root)
        #expect(before.hasPrefix("sha256:") && before.count == 71)
        try "changed".write(toFile: root + "/debian/control", atomically: true, encoding: .utf8)
        #expect(try SourceFiles.digest(of: "debian/control", in: root) != before)
        #expect(try SourceFiles.digest(of: "linked", in: root) == "link:debian")
        let tree = try SourceFiles.digest(of: "debian", in: root)
        #expect(tree.hasPrefix("tree:sha256:"))
        try "again".write(toFile: root + "/debian/patches/deep/b.patch", atomically: true, encoding: .utf8)
        #expect(try SourceFiles.digest(of: "debian", in: root) != tree, "a change deep in a matched directory is not in its digest")
    }
}
