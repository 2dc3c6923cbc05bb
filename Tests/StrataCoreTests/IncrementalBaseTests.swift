import Testing
@testable import StrataCore

/// Which deps layer a missed set is stacked on: decided from records alone.
@Suite struct IncrementalBaseTests {
    let parent = LayerKey(String(repeating: "0", count: 64))
    let gcc = Dependency(name: "gcc", version: "12.2", release: "14", packageHash: "aa")
    let make = Dependency(name: "make", version: "4.3", release: "4", packageHash: "bb")
    let zlib = Dependency(name: "zlib", version: "1.2.13", release: "1", packageHash: "cc")
    let perl = Dependency(name: "perl", version: "5.36", release: "2", packageHash: "dd")

    func manifest(_ set: [Dependency], command: String = "install", arch: String = "x86_64") -> InputManifest {
        InputManifest(format: 1, role: .deps, parent: parent, imageDigest: "sha256:ab", arch: arch, cacheVersion: 1,
                      dependencies: set, state: nil,
                      recipe: .init(command: command, environment: [:], mounts: [], network: true))
    }

    func record(_ set: [Dependency], command: String = "install", arch: String = "x86_64") -> LayerRecord {
        let inputs = manifest(set, command: command, arch: arch)
        return LayerRecord(key: inputs.key, created: "", inputs: inputs)
    }

    func choose(_ wanted: [Dependency], _ records: [LayerRecord], maxChain: Int = 4,
                depths: [LayerKey: Int] = [:]) -> IncrementalBase? {
        IncrementalBase.choose(for: manifest(wanted), among: records, maxChain: maxChain) { depths[$0.key] ?? 1 }
    }

    @Test func theLargestProperSubsetIsChosenAndTheMissingEntriesAreTheDelta() throws {
        let small = record([gcc])
        let large = record([gcc, make])
        let choice = try #require(choose([gcc, make, zlib, perl], [small, large]))
        #expect(choice.record.key == large.key)
        #expect(choice.missing == [perl, zlib])
    }

    @Test func aLayerWithOneEntryOutsideTheNewSetIsNeverChosen() {
        let outside = record([gcc, make, perl])
        #expect(choose([gcc, make, zlib], [outside]) == nil)
        // Another version of an entry is outside the set too.
        let newerMake = Dependency(name: "make", version: "4.4", release: "1", packageHash: "ee")
        #expect(choose([gcc, newerMake, zlib], [record([gcc, make])]) == nil)
        // A release or hash that differs is another entry as well.
        let rebuiltGcc = Dependency(name: "gcc", version: "12.2", release: "14", packageHash: "ff")
        #expect(choose([rebuiltGcc, make], [record([gcc])]) == nil)
    }

    @Test func onlyLayersMadeTheSameWayCount() {
        #expect(choose([gcc, make], [record([gcc], command: "other install")]) == nil)
        #expect(choose([gcc, make], [record([gcc], arch: "aarch64")]) == nil)
        #expect(choose([gcc, make], [record([])]) == nil, "an empty set is no base")
        #expect(choose([gcc, make], [record([gcc, make])]) == nil, "the same set is the same key, not a base")
    }

    @Test func aStackAtMaxChainIsPassedOverForAShallowerOne() throws {
        let deep = record([gcc, make])
        let shallow = record([gcc])
        let choice = try #require(choose([gcc, make, zlib], [deep, shallow], maxChain: 3, depths: [deep.key: 3, shallow.key: 1]))
        #expect(choice.record.key == shallow.key)
        #expect(choose([gcc, make, zlib], [deep], maxChain: 1) == nil)
    }

    @Test func theChoiceDoesNotDependOnTheOrderOfTheListing() {
        let a = record([gcc, make])
        let b = record([gcc, zlib])
        let wanted = [gcc, make, zlib, perl]
        #expect(choose(wanted, [a, b])?.record.key == choose(wanted, [b, a])?.record.key)
    }
}
