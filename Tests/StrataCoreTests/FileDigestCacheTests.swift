import Foundation
import Glibc
import StrataOS
import Testing

/// The file digest cache behind input mounts: a walk with it gives exactly
/// the digest of a walk without it, reads only files whose identity changed,
/// and never trusts a file changed in the last two seconds.
@Suite struct FileDigestCacheTests {
    private func tree() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        for index in 0..<50 {
            try directory.write("tools/dir\(index % 5)/tool\(index).sh", "#!/bin/sh\necho \(index)\n")
        }
        try directory.write("tools/odd\tname\nwith\\escapes", "x")
        #expect(try HelperProgram.run("/usr/bin/setfattr", ["-n", "user.strata-test", "-v", "v", directory.path + "/tools/dir0/tool0.sh"]) == 0)
        return directory
    }

    /// A cache that trusts every change up to now (as one two seconds old would).
    private func warmCache(_ root: String) throws -> FileDigestCache {
        let cache = FileDigestCache(trustingChangesBefore: Int64.max)
        _ = try TreeDigest.summary(of: root, entries: true, cache: cache)
        return FileDigestCache(serialized: cache.serialized(), trustingChangesBefore: Int64.max)
    }

    @Test func aCachedWalkGivesTheSameDigestAndReadsNothingUnchanged() throws {
        let directory = try tree()
        let root = directory.path + "/tools"
        let plain = try TreeDigest.summary(of: root, entries: true)
        let cache = try warmCache(root)
        let cached = try TreeDigest.summary(of: root, entries: true, cache: cache)
        #expect(cached == plain)
        #expect(cache.hits == 51)
    }

    @Test(arguments: ["content", "same-size content", "mode", "xattr", "replaced"])
    func aChangedFileIsReadAgain(change: String) throws {
        let directory = try tree()
        let root = directory.path + "/tools"
        let cache = try warmCache(root)
        let file = root + "/dir3/tool3.sh"
        switch change {
        case "content": try "#!/bin/sh\necho changed\n".write(toFile: file, atomically: false, encoding: .utf8)
        case "same-size content": try "#!/bin/sh\necho 4\n".write(toFile: file, atomically: false, encoding: .utf8)
        case "mode": #expect(chmod(file, 0o700) == 0)
        case "xattr": #expect(try HelperProgram.run("/usr/bin/setfattr", ["-n", "user.strata-test", "-v", "w", file]) == 0)
        default: try "#!/bin/sh\necho 3\n".write(toFile: file, atomically: true, encoding: .utf8)
        }
        let cached = try TreeDigest.summary(of: root, entries: true, cache: cache)
        #expect(cached == (try TreeDigest.summary(of: root, entries: true)), "the cache hid a \(change) change")
        #expect(cache.hits == 50)
    }

    @Test func aFileChangedInTheLastTwoSecondsIsNeverCached() throws {
        let directory = try tree()
        let cache = FileDigestCache()
        _ = try TreeDigest.summary(of: directory.path + "/tools", cache: cache)
        #expect(cache.serialized().isEmpty, "files written just now were cached")
    }
}

/// Runs a helper program and returns its exit status.
enum HelperProgram {
    static func run(_ program: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
