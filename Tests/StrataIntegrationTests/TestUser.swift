import Foundation
import Glibc
import Testing

/// An unprivileged user made for one test, with a home and the subordinate
/// ids useradd gives a new user (65536 of them, from /etc/login.defs), so
/// that strata can run rootless as it. Removed with its home (and its lines
/// in /etc/subuid and /etc/subgid) when the value goes away.
final class TestUser {
    let name: String
    let uid: UInt32
    let gid: UInt32
    let home: String

    init() throws {
        name = "strata-t" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let added = try Sandbox.shell("/usr/sbin/useradd", ["--create-home", "--shell", "/bin/sh", name])
        try #require(added.status == 0, "useradd \(name) failed: \(added.stderr)")
        let entry = try #require(getpwnam(name), "useradd made no passwd entry for \(name)")
        uid = entry.pointee.pw_uid
        gid = entry.pointee.pw_gid
        home = String(cString: entry.pointee.pw_dir)
        let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
        try #require(subuid.split(separator: "\n").contains { $0.hasPrefix(name + ":") },
                     "useradd gave \(name) no subordinate ids (SUB_UID_COUNT in /etc/login.defs)")
    }

    deinit {
        _ = try? Sandbox.shell("/usr/sbin/userdel", ["--remove", name])
    }

    /// The program and arguments that run `program` as this user, its
    /// supplementary groups included.
    func command(_ program: String, _ arguments: [String]) -> (program: String, arguments: [String]) {
        ("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--", program] + arguments)
    }

    /// The environment a login of this user has: its HOME, USER and LOGNAME.
    func environment(_ base: [String: String]) -> [String: String] {
        var environment = base.filter { !$0.key.hasPrefix("XDG_") && !$0.key.hasPrefix("SUDO_") }
        environment["HOME"] = home
        environment["USER"] = name
        environment["LOGNAME"] = name
        return environment
    }

    /// Processes running as this user (any of its uids), by pid.
    var processes: [Int32] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { pid in
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return false }
            return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().contains { UInt32($0) == uid }
        }
    }
}
