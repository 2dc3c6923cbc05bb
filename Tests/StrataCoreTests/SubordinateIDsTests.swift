import Testing
@testable import StrataCore

/// Reading /etc/subuid and /etc/subgid, and root's range for its builds.
@Suite struct SubordinateIDsTests {
    @Test func theFirstLargeEnoughRangeOfTheUserOrItsUIDIsChosen() {
        let text = "alice:100000:65536\nbob:165536:1000\nbob:300000:65536\n1002:400000:70000\n"
        #expect(SubordinateIDs.start(in: text, user: "alice", uid: 1000) == 100_000)
        #expect(SubordinateIDs.start(in: text, user: "bob", uid: 1001) == 300_000)
        #expect(SubordinateIDs.start(in: text, user: "carol", uid: 1002) == 400_000)
        #expect(SubordinateIDs.start(in: text, user: "dave", uid: 1003) == nil)
        #expect(SubordinateIDs.start(in: "eve:x:65536\neve:4294967000:65536\n", user: "eve", uid: 1) == nil)
    }

    @Test func theSuggestedRangeIsFreeAndAligned() {
        #expect(SubordinateIDs.freeStart(in: ["", ""]) == 100_000)
        #expect(SubordinateIDs.freeStart(in: ["a:100000:65536\n", "a:100000:65536\n"]) == 165_536)
        #expect(SubordinateIDs.freeStart(in: ["a:100000:70000\n", ""]) == 231_072)
    }

    @Test func withoutALineTheErrorNamesTheLinesToAdd() throws {
        let directory = try TemporaryDirectory()
        let (subuid, subgid) = try Self.files(in: directory, subuid: "alice:100000:65536\n", subgid: "")
        let error = #expect(throws: StrataError.self) {
            try SubordinateIDs.read(user: "bob", uid: 1001, subuid: subuid, subgid: subgid)
        }
        #expect(error?.exitCode == 4)
        #expect(error?.message.contains("'bob:165536:65536'") == true, "\(String(describing: error?.message))")
        #expect(error?.message.contains(subuid) == true && error?.message.contains(subgid) == true)
    }

    @Test func rootUsesItsOwnLineElseTheDefaultRangeUnlessSomeoneHasIt() throws {
        let directory = try TemporaryDirectory()
        let (subuid, subgid) = try Self.files(in: directory, subuid: "root:200000:65536\n", subgid: "root:300000:65536\n")
        let own = try Host.rootMapping(subuid: subuid, subgid: subgid)
        #expect(own.hostUID == 200_000 && own.hostGID == 300_000 && own.count == 65536)

        try "alice:100000:65536\n".write(toFile: subuid, atomically: true, encoding: .utf8)
        let fallback = try Host.rootMapping(subuid: subuid, subgid: subgid)
        #expect(fallback.hostUID == Host.defaultRootRange && fallback.hostGID == Host.defaultRootRange)

        try "mallory:\(Host.defaultRootRange + 10):65536\n".write(toFile: subuid, atomically: true, encoding: .utf8)
        #expect(throws: StrataError.self) { try Host.rootMapping(subuid: subuid, subgid: subgid) }
    }

    /// A subuid and a subgid file with these texts.
    private static func files(in directory: TemporaryDirectory, subuid: String, subgid: String) throws -> (String, String) {
        let paths = (directory.path + "/subuid", directory.path + "/subgid")
        try subuid.write(toFile: paths.0, atomically: true, encoding: .utf8)
        try subgid.write(toFile: paths.1, atomically: true, encoding: .utf8)
        return paths
    }
}
