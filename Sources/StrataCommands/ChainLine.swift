import StrataCore

/// One line per layer of a pushed or pulled chain.
func chainLine(_ role: InputManifest.Role, _ key: LayerKey, _ state: String) -> String {
    "\(role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(key.hex)  \(state)"
}
