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

    /// The kernel's identifier of this boot (/proc/sys/kernel/random/boot_id):
    /// what was written without a sync before it may not have survived it.
    public static var bootIdentifier: String {
        get throws(SystemError) {
            String(decoding: try FileTree.readFile("/proc/sys/kernel/random/boot_id").filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        }
    }
}
