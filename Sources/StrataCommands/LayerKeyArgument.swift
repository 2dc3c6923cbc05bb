import ArgumentParser
import StrataCore

/// The KEY argument of the commands that name one layer, and its lookup.
struct LayerKeyArgument: ParsableArguments {
    @Argument(help: "The full layer key (64 hex digits).")
    var key: String

    /// The key, checked for its form only: `pull` names a layer the store lacks.
    func parsed() throws(StrataError) -> LayerKey {
        try Self.parse(key)
    }

    static func parse(_ key: String) throws(StrataError) -> LayerKey {
        guard let parsed = LayerKey(validating: key) else {
            throw StrataError(.input, "'\(key)' is not a layer key (64 lowercase hex digits); see 'strata layers list' or a build's output")
        }
        return parsed
    }

    /// The finished layer this key names in the store.
    func record(in layers: LayerStore) throws(StrataError) -> LayerRecord {
        try Self.record(key, in: layers)
    }

    static func record(_ key: String, in layers: LayerStore) throws(StrataError) -> LayerRecord {
        guard let parsed = LayerKey(validating: key), let condition = layers.condition(parsed) else {
            throw StrataError(.input, "no layer with key '\(key)'; see 'strata layers list' for the keys")
        }
        guard let record = condition.record else {
            throw StrataError(.environment, "layer \(parsed.short) is damaged (\(Self.why(condition))); remove it with 'strata layers rm \(parsed.hex)' or 'strata layers verify --repair'")
        }
        return record
    }

    /// The layer this key names, sound or damaged (`layers rm` removes either).
    func existing(in layers: LayerStore) throws(StrataError) -> LayerKey {
        let parsed = try parsed()
        guard layers.condition(parsed) != nil else {
            throw StrataError(.input, "no layer with key '\(key)'; see 'strata layers list' for the keys")
        }
        return parsed
    }

    private static func why(_ condition: LayerCondition) -> String {
        if case .damaged(let why) = condition { return why }
        return "sound"
    }
}
