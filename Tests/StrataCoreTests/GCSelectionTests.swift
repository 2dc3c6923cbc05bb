import Foundation
import Testing
@testable import StrataCore

/// Which layer a collection removes next, decided without a store.
@Suite struct GCSelectionTests {
    let now = Date(timeIntervalSince1970: 1_000_000)

    func key(_ n: Int) -> LayerKey { LayerKey(String(repeating: String(n % 10), count: 64)) }

    func layer(_ n: Int, parent: Int? = nil, size: UInt64 = 100, hoursAgo: Double) -> GCSelection.Candidate {
        GCSelection.Candidate(key: key(n), lowers: [parent.map(key)].compactMap { $0 }, size: size,
                              lastUsed: now.addingTimeInterval(-hoursAgo * 3600))
    }

    /// Removes victims until none is left, as the collector does.
    func victims(_ policy: GCPolicy, _ layers: [GCSelection.Candidate], busy: Set<Int> = []) -> (removed: [Int], holds: Bool) {
        var selection = GCSelection(policy: policy, now: now, candidates: layers)
        var removed: [Int] = []
        while let victim = selection.nextVictim() {
            let n = Int(String(victim.key.hex.prefix(1)))!
            if busy.contains(n) { selection.keep(victim.key); continue }
            selection.removed(victim.key)
            removed.append(n)
        }
        return (removed, selection.limitsHold)
    }

    @Test func theLeastRecentlyUsedGoFirstUntilTheCountHolds() {
        let layers = [layer(1, hoursAgo: 1), layer(2, hoursAgo: 5), layer(3, hoursAgo: 3)]
        let result = victims(GCPolicy(keepLast: 1), layers)
        #expect(result.removed == [2, 3])
        #expect(result.holds)
    }

    @Test func aParentGoesOnlyAfterEveryLayerBuiltOnIt() {
        // 1 is the oldest, but 2 and 3 stand on it.
        let layers = [layer(1, hoursAgo: 9), layer(2, parent: 1, hoursAgo: 1), layer(3, parent: 1, hoursAgo: 2)]
        #expect(victims(GCPolicy(keepLast: 0), layers).removed == [3, 2, 1])
    }

    @Test func aLayerInUseStaysAndSoDoesItsParent() {
        let layers = [layer(1, hoursAgo: 9), layer(2, parent: 1, hoursAgo: 8), layer(3, hoursAgo: 1)]
        let result = victims(GCPolicy(keepLast: 0), layers, busy: [2])
        #expect(result.removed == [3])
        #expect(!result.holds)
    }

    @Test func sizeIsSummedOverWhatRemains() {
        let layers = [layer(1, size: 600, hoursAgo: 3), layer(2, size: 300, hoursAgo: 2), layer(3, size: 200, hoursAgo: 1)]
        #expect(victims(GCPolicy(maxSize: 500), layers).removed == [1])
        #expect(victims(GCPolicy(maxSize: 199), layers).removed == [1, 2, 3])
    }

    @Test func ageAloneRemovesOnlyTheLayersOlderThanItWhateverTheOrder() {
        let layers = [layer(1, hoursAgo: 30), layer(2, hoursAgo: 10), layer(3, parent: 2, hoursAgo: 50)]
        // 3 is old and a leaf; 2 is young; 1 is old.
        #expect(victims(GCPolicy(maxAge: 24 * 3600), layers).removed == [3, 1])
    }

    @Test func noLimitRemovesNothing() {
        let layers = [layer(1, hoursAgo: 1000)]
        let result = victims(GCPolicy(), layers)
        #expect(result.removed.isEmpty && result.holds)
    }
}

extension GCSelectionTests {
    @Test func aLayerStackedOnAnotherKeepsItUntilItGoesItself() {
        // 2 is stacked on 1 (an incremental deps layer): 1 is old, 2 is not.
        let stacked = GCSelection.Candidate(key: key(2), lowers: [key(1)], size: 100, lastUsed: now)
        let result = victims(GCPolicy(maxAge: 3600), [layer(1, hoursAgo: 100), stacked])
        #expect(result.removed.isEmpty && !result.holds)
        #expect(victims(GCPolicy(keepLast: 0), [layer(1, hoursAgo: 100), stacked]).removed == [2, 1])
    }
}
