import Foundation
import StrataOS

/// Names the most recent update layer of one base and one update recipe:
/// `updates/<chain>.json`, where the chain is the SHA-256 of the base key and
/// the recipe. Profiles that share both share the pointer; the profile's name
/// plays no part. Replaced atomically by each `strata update`.
struct UpdatePointer: Codable, Equatable {
    var key: LayerKey
    /// When `strata update` last ran, whether or not the state changed.
    var checked: Date
    /// The layer it replaced, when the state changed.
    var previous: LayerKey?

    static func chain(base: LayerKey, recipe: InputManifest.Recipe) -> String {
        struct Chain: Encodable { let base: LayerKey; let recipe: InputManifest.Recipe }
        return CanonicalJSON.sha256Hex(Chain(base: base, recipe: recipe))
    }

    static func path(store: Store, chain: String) -> String { store.updates + "/" + chain + ".json" }

    static func read(store: Store, chain: String) -> UpdatePointer? {
        guard let bytes = try? FileTree.readFile(path(store: store, chain: chain)) else { return nil }
        return try? BookkeepingJSON.decoder().decode(UpdatePointer.self, from: Data(bytes))
    }

    func write(store: Store, chain: String) throws(StrataError) {
        let target = Self.path(store: store, chain: chain)
        let temporary = target + ".tmp-" + randomIdentifier()
        try during("write \(target)") {
            try FileTree.writeFile(temporary, Array(try BookkeepingJSON.encoder().encode(self)) + [10], sync: true)
            try FileTree.rename(temporary, to: target)
            try FileTree.syncDirectory(store.updates)
        }
    }
}
