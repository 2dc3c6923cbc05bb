import StrataOS

/// The subordinate ids /etc/subuid and /etc/subgid give a user (subuid(5)):
/// lines `NAME:START:COUNT`, NAME a user name or a numeric uid. Strata maps
/// 65536 of them, ids 1 to 65536 inside its user namespace.
public struct SubordinateIDs: Sendable, Equatable {
    /// How many ids a build root needs: 0 (the user) and 1...65536, which
    /// covers nobody (65534) and every id Debian, Fedora or Arch allocate.
    public static let needed: UInt32 = 65536

    public var uidStart: UInt32
    public var gidStart: UInt32

    public init(uidStart: UInt32, gidStart: UInt32) {
        self.uidStart = uidStart
        self.gidStart = gidStart
    }

    /// A subuid or subgid file's text; empty when it is missing or unreadable
    /// (as newuidmap treats it: no ranges).
    static func text(of path: String) -> String {
        (try? FileTree.readFile(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// One line of a subuid or subgid file.
    struct Line: Equatable {
        var owner: String
        var start: UInt64
        var count: UInt64
    }

    /// The well-formed lines of `text`; others are skipped, as newuidmap does.
    static func lines(in text: String) -> [Line] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, let start = UInt64(fields[1]), let count = UInt64(fields[2]) else { return nil }
            return Line(owner: String(fields[0]), start: start, count: count)
        }
    }

    /// The first range in `text` (a subuid or subgid file) for `user` or
    /// `uid` that holds at least `needed` ids.
    public static func start(in text: String, user: String?, uid: UInt32) -> UInt32? {
        lines(in: text).first { line in
            (line.owner == user || line.owner == String(uid)) && line.count >= UInt64(needed)
                && line.start + UInt64(needed) <= UInt64(UInt32.max)
        }.map { UInt32($0.start) }
    }

    /// A start no line of `texts` covers, from 100000 up in steps of 65536,
    /// for the message that tells a user which lines to add.
    public static func freeStart(in texts: [String]) -> UInt32 {
        let end = texts.flatMap(lines(in:)).map { $0.start + $0.count }.max().map { max($0, 100_000) } ?? 100_000
        let steps = (end - 100_000 + UInt64(needed) - 1) / UInt64(needed)
        return UInt32(clamping: 100_000 + steps * UInt64(needed))
    }

    /// The ranges of `user` (uid `uid`) in /etc/subuid and /etc/subgid, or
    /// an error that says which lines to add.
    static func read(user: String?, uid: UInt32, subuid: String = "/etc/subuid", subgid: String = "/etc/subgid") throws(StrataError) -> SubordinateIDs {
        let uidText = text(of: subuid)
        let gidText = text(of: subgid)
        let uidStart = start(in: uidText, user: user, uid: uid)
        let gidStart = start(in: gidText, user: user, uid: uid)
        if let uidStart, let gidStart { return SubordinateIDs(uidStart: uidStart, gidStart: gidStart) }
        let name = user ?? String(uid)
        let missing = [uidStart == nil ? subuid : nil, gidStart == nil ? subgid : nil].compactMap { $0 }
        let free = freeStart(in: [uidText, gidText])
        let last = UInt64(free) + UInt64(needed) - 1
        throw .environment("""
            without root, strata runs builds in a user namespace that needs \(needed) subordinate ids of \(name), \
            and \(missing.joined(separator: " and ")) \(missing.count == 1 ? "has" : "have") no range of that size for \(name). \
            As root, add the line '\(name):\(free):\(needed)' to \(subuid) and \(subgid) \
            (or run 'usermod --add-subuids \(free)-\(last) --add-subgids \(free)-\(last) \(name)'), \
            with a range no other user has; see Docs/rootless.md
            """)
    }
}
