import Glibc

/// What `TreeDigest` learnt of a tree's regular files the last time: for each
/// relative path, the file's identity (device, inode, size, modification and
/// change times in nanoseconds, mode, owner) and the part of its record that
/// costs a read (content digest and extended attributes). A file whose
/// identity is unchanged is not read again. Any write, chmod, chown or xattr
/// change moves the change time, which no user can set back; a file changed
/// within the same clock tick as it was cached could still look unchanged,
/// so files changed in the last two seconds are never cached (git's
/// "racily clean" rule).
public final class FileDigestCache {
    /// What must be unchanged for a file not to be read again.
    struct Identity: Equatable {
        var device: Int64, inode: Int64, size: Int64, modified: Int64, changed: Int64, mode: Int64, uid: Int64, gid: Int64

        init(_ fields: [Int64]) {
            (device, inode, size, modified, changed, mode, uid, gid) =
                (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6], fields[7])
        }

        init(_ status: FileStatus) {
            let raw = status.raw
            device = Int64(raw.st_dev)
            inode = Int64(raw.st_ino)
            size = Int64(raw.st_size)
            modified = Int64(raw.st_mtim.tv_sec) * 1_000_000_000 + Int64(raw.st_mtim.tv_nsec)
            changed = Int64(raw.st_ctim.tv_sec) * 1_000_000_000 + Int64(raw.st_ctim.tv_nsec)
            mode = Int64(raw.st_mode)
            uid = Int64(raw.st_uid)
            gid = Int64(raw.st_gid)
        }

        var fields: [Int64] { [device, inode, size, modified, changed, mode, uid, gid] }
    }

    struct Entry {
        let identity: Identity
        let tail: [UInt8]
    }

    private var entries: [String: Entry] = [:]
    /// How many files the last walk took from the cache instead of reading them.
    public private(set) var hits = 0
    private var seen: [String: Entry] = [:]
    /// Nanoseconds since the epoch before which a change is old enough to trust.
    private let trustedBefore: Int64

    /// `trustingChangesBefore`: nanoseconds since the epoch; by default two
    /// seconds ago (tests pass another moment).
    public init(trustingChangesBefore moment: Int64? = nil) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        trustedBefore = moment ?? (Int64(now.tv_sec) - 2) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// A cache read back from `serialized()`; anything unreadable is dropped.
    /// One pass over the bytes, no intermediate arrays: this runs on every
    /// build with an input mount.
    public convenience init(serialized bytes: [UInt8], trustingChangesBefore moment: Int64? = nil) {
        self.init(trustingChangesBefore: moment)
        entries.reserveCapacity(bytes.count / 100)
        var index = 0
        let end = bytes.count
        while index < end {
            var lineEnd = index
            while lineEnd < end && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            if let (path, entry) = Self.parseLine(bytes[index..<lineEnd]) { entries[path] = entry }
            index = lineEnd + 1
        }
        seen.reserveCapacity(entries.count)
    }

    /// `PATH \t D I S M C MODE UID GID \t HEX`.
    private static func parseLine(_ line: ArraySlice<UInt8>) -> (String, Entry)? {
        guard let firstTab = line.firstIndex(of: UInt8(ascii: "\t")),
              let path = unescape(line[line.startIndex..<firstTab]) else { return nil }
        var fields: [Int64] = []
        fields.reserveCapacity(8)
        var index = firstTab + 1
        var value: Int64 = 0
        var negative = false
        var digits = 0
        while index < line.endIndex {
            let byte = line[index]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                guard digits > 0 else { return nil }
                fields.append(negative ? -value : value)
                value = 0
                negative = false
                digits = 0
                if byte == UInt8(ascii: "\t") { break }
            } else if byte == UInt8(ascii: "-") && digits == 0 && !negative {
                negative = true
            } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                if overflowTimes || overflowSum { return nil }
                value = sum
                digits += 1
            } else {
                return nil
            }
            index += 1
        }
        guard fields.count == 8, index < line.endIndex, let tail = unhex(line[(index + 1)...]) else { return nil }
        return (path, Entry(identity: Identity(fields), tail: tail))
    }

    /// The cached tail of `path`'s record when its identity is unchanged.
    func tail(for path: String, status: FileStatus) -> [UInt8]? {
        guard let entry = entries[path], entry.identity == Identity(status) else { return nil }
        seen[path] = entry
        hits += 1
        return entry.tail
    }

    /// Remembers a file just read, unless it changed too recently to trust.
    func remember(_ path: String, status: FileStatus, tail: [UInt8]) {
        let identity = Identity(status)
        guard max(identity.modified, identity.changed) < trustedBefore else { return }
        seen[path] = Entry(identity: identity, tail: tail)
    }

    /// True when the last walk's files differ from what the cache held
    /// (new, changed or gone): only then is it worth writing back.
    public var changed: Bool {
        seen.count != entries.count || seen.contains { entries[$0.key]?.identity != $0.value.identity }
    }

    /// The files of the last walk (and only those), to store for the next.
    public func serialized() -> [UInt8] {
        var output: [UInt8] = []
        for (path, entry) in seen.sorted(by: { $0.key < $1.key }) {
            output += Self.escape(path)
            output.append(UInt8(ascii: "\t"))
            output += entry.identity.fields.map(String.init).joined(separator: " ").utf8
            output.append(UInt8(ascii: "\t"))
            for byte in entry.tail {
                output.append(Self.hexDigits[Int(byte >> 4)])
                output.append(Self.hexDigits[Int(byte & 0x0f)])
            }
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func escape(_ path: String) -> [UInt8] {
        var output: [UInt8] = []
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): output += Array("\\\\".utf8)
            case UInt8(ascii: "\t"): output += Array("\\t".utf8)
            case UInt8(ascii: "\n"): output += Array("\\n".utf8)
            default: output.append(byte)
            }
        }
        return output
    }

    private static func unescape(_ field: ArraySlice<UInt8>) -> String? {
        var output: [UInt8] = []
        var escaped = false
        for byte in field {
            if escaped {
                switch byte {
                case UInt8(ascii: "t"): output.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "n"): output.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
                default: return nil
                }
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else {
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func unhex(_ field: ArraySlice<UInt8>) -> [UInt8]? {
        guard field.count % 2 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(field.count / 2)
        var index = field.startIndex
        while index < field.endIndex {
            guard let high = hexValue(field[index]), let low = hexValue(field[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
