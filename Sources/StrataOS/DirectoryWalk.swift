import Glibc

/// A depth-first walk of the tree at a path, through descriptors: each entry
/// is named relative to its directory's descriptor, so neither depth nor
/// long names can make a path too long, and no symlink is ever followed.
///
/// Depth is bounded by memory only. The stack of directories is explicit
/// (no recursion), and only the nearest `openAncestors` ancestors keep their
/// descriptor: a closed one is reopened on the way back up through ".." of
/// its child, and must have the device and inode it had on the way down.
///
/// The walk starts in the working directory, whose one entry is the top's
/// path, so the top is seen, descended into and left like any other entry:
///
///     while true {
///         if let name = walk.next() { ...; if directory { try walk.descend(into: name, status: status) } }
///         else if let finished = try walk.ascend() { ... }
///         else { break }
///     }
final class DirectoryWalk {
    static let openAncestors = 16

    /// A directory left by `ascend()`: its name in `directory` (the parent),
    /// its status, and its descriptor, still open.
    struct Finished {
        let name: EntryName
        let status: FileStatus
        let descriptor: DirectoryDescriptor
    }

    private struct Level {
        let name: EntryName
        let status: FileStatus
        let entries: [EntryName]
        var next = 0
        /// Nil for the current directory (that is `directory`) and for closed ancestors.
        var descriptor: DirectoryDescriptor?
    }

    let top: String
    private let sorted: Bool
    private var levels: [Level]
    /// The directory whose entries `next()` returns.
    private(set) var directory: DirectoryDescriptor

    /// With `sorted`, each directory's entries come in the order of their
    /// UTF-8 spelling (as `directoryEntries` lists them).
    init(top: String, sorted: Bool) {
        self.top = top
        self.sorted = sorted
        directory = DirectoryDescriptor.workingDirectory()
        // The working directory's status is never read: its level is never left or reopened.
        levels = [Level(name: EntryName("."), status: FileStatus(raw: stat()), entries: [EntryName(top)])]
    }

    /// 0 in the working directory (the next entry is the top), 1 in the top.
    var depth: Int { levels.count - 1 }

    /// The names of the directories from the top (excluded) down to the current one.
    var namesBelowTop: ArraySlice<EntryName> {
        levels.dropFirst(2).map(\.name)[...]
    }

    /// The next entry of the current directory, nil when all were returned.
    func next() -> EntryName? {
        let last = levels.count - 1
        let index = levels[last].next
        guard index < levels[last].entries.count else { return nil }
        levels[last].next = index + 1
        return levels[last].entries[index]
    }

    func status(of name: EntryName) throws(SystemError) -> FileStatus {
        try directory.status(of: name, path: path(of: name))
    }

    /// Enters the directory `name`, which `status` (its fstatat) describes;
    /// refuses one that is no longer what `status` says. Without `listing`
    /// its entries are not read (a directory being created by a copy).
    func descend(into name: EntryName, status: FileStatus?, listing: Bool = true) throws(SystemError) {
        let child = try directory.openDirectory(name, path: path(of: name))
        let opened = try child.status(path: path(of: name))
        if let status, status.device != opened.device || status.inode != opened.inode {
            throw SystemError("changed while being walked", path: path(of: name), errno: ESTALE)
        }
        let entries = listing ? try child.entryNames(sorted: sorted, path: path(of: name)) : []
        levels[levels.count - 1].descriptor = directory
        levels.append(Level(name: name, status: opened, entries: entries))
        directory = child
        // Level 0, the working directory, is no descriptor of ours: never closed.
        let farthest = levels.count - 2 - Self.openAncestors
        if farthest >= 1 { levels[farthest].descriptor = nil }
    }

    /// Leaves the current directory for its parent, reopening the parent
    /// through ".." if its descriptor was closed; nil when the walk is done.
    func ascend() throws(SystemError) -> Finished? {
        guard levels.count > 1 else { return nil }
        let finished = levels.removeLast()
        let child = directory
        let parent = levels.count - 1
        if let open = levels[parent].descriptor {
            directory = open
        } else {
            let reopened = try child.parent(path: path() + "/" + finished.name.text + "/..")
            let status = try reopened.status(path: path())
            guard status.device == levels[parent].status.device && status.inode == levels[parent].status.inode else {
                throw SystemError("moved while being walked", path: path(), errno: ESTALE)
            }
            directory = reopened
        }
        levels[parent].descriptor = nil
        return Finished(name: finished.name, status: finished.status, descriptor: child)
    }

    /// `name` in the current directory (or the current directory itself)
    /// as a path for messages, its middle left out past a few hundred bytes.
    func path(of name: EntryName? = nil) -> String {
        guard levels.count > 1 else { return name?.text ?? "." }
        var tail: [String] = name.map { [$0.text] } ?? []
        var length = tail.first?.utf8.count ?? 0
        var index = levels.count - 1
        while index >= 2 && length < 300 {
            tail.append(levels[index].name.text)
            length += levels[index].name.byteCount + 1
            index -= 1
        }
        let head = index >= 2 ? levels[1].name.text + "/…(\(index - 1) directories)…" : levels[1].name.text
        return ([head] + tail.reversed()).joined(separator: "/")
    }
}
