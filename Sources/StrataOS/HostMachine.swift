import Glibc

/// The machine strata runs on.
public enum HostMachine {
    /// The kernel's machine name (uname -m): x86_64, aarch64, riscv64, …
    public static var architecture: String {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// True when the kernel offers overlayfs (/proc/filesystems lists it).
    public static var hasOverlayFS: Bool {
        let table = (try? FileTree.readFile("/proc/filesystems")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return table.split(separator: "\n").contains { $0.hasSuffix("\toverlay") }
    }
}
