/// Digests as people read them in messages.
enum DigestText {
    /// "sha256:3f2a…" shortened to its first 12 hex digits and an ellipsis;
    /// short values as they are; "none" for none.
    static func short(_ text: String?) -> String {
        guard let text else { return "none" }
        let bare = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        return bare.count > 16 ? String(bare.prefix(12)) + "…" : bare
    }
}
