import Foundation
import StrataOS

/// What `strata virt-exec` needs to run a command in a testbed that a
/// `strata virt-server` holds: the server's process and mount namespace
/// (whose mounts the root lives in), the root, and how its commands run.
/// Written into the testbed's session directory, read by the helper.
struct TestbedHandle: Codable {
    /// Root's user namespace for the testbed's commands: the server's
    /// descriptor of it, and its mapping.
    struct Namespace: Codable {
        var descriptor: Int32
        var mapping: IDMapping
    }

    var pid: Int32
    /// The inode of the server's mount namespace: a reused pid is refused.
    var mountNamespace: UInt64
    var root: String
    var network: Bool
    var environment: [String: String]
    var userNamespace: Namespace?

    func write(to path: String) throws(StrataError) {
        let bytes: Data
        do { bytes = try CanonicalJSON.encode(self) } catch { throw .environment("encode the testbed handle: \(error)") }
        // Renamed into place: an execute command never reads half a handle.
        try during("write the testbed handle") {
            try FileTree.writeFile(path + ".tmp", Array(bytes), mode: 0o600)
            try FileTree.rename(path + ".tmp", to: path)
        }
    }

    static func read(from path: String) throws(StrataError) -> TestbedHandle {
        guard let bytes = try? FileTree.readFile(path),
              let handle = try? JSONDecoder().decode(TestbedHandle.self, from: Data(bytes)) else {
            throw .input("\(path) is not the handle of an open strata testbed; run print-execute-command again after open or revert")
        }
        return handle
    }
}
