/// Where an overlay keeps its own extended attributes: trusted.overlay.*
/// when mounted by root, user.overlay.* when mounted in a user namespace
/// (the `userxattr` option). A layer's upper carries the form of the store
/// that holds it; exporting and importing convert between the two.
public enum OverlayAttributes: String, Sendable {
    case trusted, user

    /// The attribute that marks an opaque directory.
    public var opaque: String { rawValue + ".overlay.opaque" }
}

/// How overlayfs and OCI image layers each say "this path of a lower layer
/// is gone". Overlayfs: a character device 0/0 (a whiteout) and the
/// attribute trusted.overlay.opaque=y (user.overlay.opaque=y with userxattr) on a directory (hide everything below
/// it). OCI layers: an empty file `.wh.NAME` and a file `.wh..wh..opq`.
public enum OverlayWhiteout {
    public static let ociPrefix = ".wh."
    public static let ociOpaqueMarker = ".wh..wh..opq"

    /// Whether `name` marks an opaque directory, in either namespace.
    public static func isOpaqueAttribute(_ name: String) -> Bool {
        name == OverlayAttributes.trusted.opaque || name == OverlayAttributes.user.opaque
    }

    /// Attributes overlayfs reads from its layers (trusted. as root, user.
    /// with userxattr). None may enter or leave a layer as data.
    public static func isOverlayAttribute(_ name: String) -> Bool {
        name.hasPrefix("trusted.overlay.") || name.hasPrefix("user.overlay.")
    }

    /// Attributes that point an overlay at other files of its lower layers
    /// (a renamed directory, a copy-up without data); a layer that has them
    /// does not stand on its own.
    public static func isReferringAttribute(_ name: String) -> Bool {
        ["redirect", "metacopy"].contains { name == "trusted.overlay." + $0 || name == "user.overlay." + $0 }
    }

    /// The name an OCI whiteout hides, or nil when `name` is no whiteout.
    public static func hiddenName(_ name: String) -> String? {
        guard name.hasPrefix(ociPrefix), name != ociOpaqueMarker else { return nil }
        return String(name.dropFirst(ociPrefix.count))
    }
}
