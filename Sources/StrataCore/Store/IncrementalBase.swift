/// Which existing deps layer a missed resolved set is stacked on, with
/// `[deps] incremental`: one over the same parent, with the same recipe,
/// arch, cache_version, image and format, whose resolved set is a proper
/// subset of the new one (every entry identical: name, version, release,
/// hash; none outside the new set; at least one), the largest such, and
/// only if stacking on it keeps the chain within `max_chain` layers.
struct IncrementalBase: Equatable {
    /// The layer to stack on.
    let record: LayerRecord
    /// How many deps layers its stack holds (itself included).
    let depth: Int
    /// The entries of the new set that it lacks: what the install gets.
    let missing: [Dependency]

    /// `depth(of:)` gives a candidate's stack depth, or nil when its stack
    /// is broken; it is asked only of candidates that pass the subset rule.
    static func choose(
        for inputs: InputManifest, among records: [LayerRecord], maxChain: Int, depth: (LayerRecord) -> Int?
    ) -> IncrementalBase? {
        let wanted = Set(inputs.dependencies ?? [])
        var best: IncrementalBase?
        for record in records where standsAlike(record.inputs, inputs) {
            let have = record.inputs.dependencies ?? []
            guard !have.isEmpty, have.count < wanted.count, Set(have).isSubset(of: wanted),
                  let depth = depth(record), depth < maxChain else { continue }
            let candidate = IncrementalBase(record: record, depth: depth,
                                            missing: wanted.subtracting(have).sorted())
            if let current = best, !candidate.isBetter(than: current) { continue }
            best = candidate
        }
        return best
    }

    /// Larger set first, then a shallower stack, then the key (so the choice
    /// does not depend on the order layers are listed in).
    private func isBetter(than other: IncrementalBase) -> Bool {
        let mine = record.inputs.dependencies?.count ?? 0
        let theirs = other.record.inputs.dependencies?.count ?? 0
        if mine != theirs { return mine > theirs }
        if depth != other.depth { return depth < other.depth }
        return record.key.hex < other.record.key.hex
    }

    /// Everything but the resolved set is the same.
    private static func standsAlike(_ a: InputManifest, _ b: InputManifest) -> Bool {
        a.role == .deps && b.role == .deps && a.format == b.format && a.parent == b.parent && a.imageDigest == b.imageDigest
            && a.arch == b.arch && a.cacheVersion == b.cacheVersion && a.recipe == b.recipe
    }
}

extension LayerStore {
    /// The layer a missed deps set would be stacked on now, if any.
    func incrementalBase(for inputs: InputManifest, maxChain: Int) -> IncrementalBase? {
        let records = (try? list()) ?? []
        return IncrementalBase.choose(for: inputs, among: records, maxChain: maxChain) { record in
            (try? stack(record.key))?.count
        }
    }
}
