/// Device nodes in a root file system's /dev are never imported into an
/// image: every root strata builds in gets a /dev of its own (a tmpfs with
/// the few nodes a build needs, `MountStack.pushDeviceDirectory`) over the
/// image's, so those nodes could never be reached. Leaving them out also
/// lets an ordinary user import the same base (nobody may create a device
/// node in a user namespace) and get the same image digest as root.
public enum ImageDevices {
    /// True when `components` (of a path relative to the root file system,
    /// "." components dropped) name something below its top-level dev/.
    static func isUnderDev<Components: Collection>(_ components: Components) -> Bool where Components.Element == String {
        components.count > 1 && components.first == "dev"
    }
}
