import Glibc

/// The merged tree of a stack of overlay layers, made once as a plain
/// directory: each directory made anew with the owner, mode, times and
/// attributes of the topmost layer that has it, each other entry a hard link
/// to that layer's own file. What a layer whites out, or hides below an
/// opaque directory, is left out, as overlayfs leaves it out.
///
/// Overlayfs never writes to a lower layer (a change copies the file up into
/// the scratch layer first), so the result can stand in for the whole stack
/// as one read-only lower layer: each lookup and directory listing of a
/// build then goes through one layer instead of every one of the stack.
public enum TreeFlattener {
    /// Deeper trees are refused rather than merged: each level holds a
    /// descriptor per layer and a stack frame.
    static let maximumDepth = 256

    /// `layers`: the layers' top directories, topmost first, on the file
    /// system of `destination`, which must not exist yet.
    public static func flatten(_ layers: [String], into destination: String) throws(SystemError) {
        let here = DirectoryDescriptor.workingDirectory()
        let tops = try layers.map { (layer) throws(SystemError) in
            Level(directory: try here.openDirectory(EntryName(layer), path: layer), path: layer)
        }
        try here.makeDirectory(EntryName(destination), mode: 0o700, path: destination)
        let made = Level(directory: try here.openDirectory(EntryName(destination), path: destination), path: destination)
        try merge(tops, into: made, depth: 0)
        try copyMetadata(of: tops[0], attributes: try readAttributes(of: tops[0]), to: made)
    }

    /// One directory of one layer (or of the result), with its path for messages.
    private struct Level {
        let directory: DirectoryDescriptor
        let path: String

        func child(_ name: EntryName) -> String { path + "/" + name.text }

        func open(_ name: EntryName) throws(SystemError) -> Level {
            Level(directory: try directory.openDirectory(name, path: child(name)), path: child(name))
        }
    }

    /// The entries of one merged directory, `stack` being that directory in
    /// each layer where it is visible, topmost first. The type in the
    /// directory entry decides without a stat for all but character devices
    /// (a whiteout is one, numbered 0/0) and file systems that record none.
    private static func merge(_ stack: [Level], into made: Level, depth: Int) throws(SystemError) {
        if depth > maximumDepth {
            throw SystemError("merge a tree more than \(maximumDepth) directories deep", path: made.path, errno: .fileNameTooLong)
        }
        var seen: Set<[CChar]> = []
        for (index, level) in stack.enumerated() {
            for (name, type) in try level.directory.entries(path: level.path) {
                // The topmost layer with the name decides, whatever it holds.
                guard seen.insert(name.cString).inserted else { continue }
                var isDirectory = type == UInt8(DT_DIR)
                if type == UInt8(DT_CHR) || type == UInt8(DT_UNKNOWN) {
                    let status = try level.directory.status(of: name, path: level.child(name))
                    if status.kind == .characterDevice && status.deviceNumber == 0 { continue }  // a whiteout
                    isDirectory = status.kind == .directory
                }
                if isDirectory {
                    try mergeDirectory(name, from: stack[index...], into: made, depth: depth)
                } else if linkat(level.directory.fd, name.cString, made.directory.fd, name.cString, 0) != 0 {
                    throw SystemError("hard-link", path: made.child(name))
                }
            }
        }
    }

    /// The directory `name`, topmost in `stack.first`: merged with the same
    /// directory of the layers below down to the first that hides the rest
    /// (opaque), or is hidden itself (a whiteout or a non-directory there).
    private static func mergeDirectory(_ name: EntryName, from stack: ArraySlice<Level>, into made: Level, depth: Int) throws(SystemError) {
        var below = [try stack[stack.startIndex].open(name)]
        // Read once: they say whether it is opaque, and the merged directory gets them.
        let attributes = try readAttributes(of: below[0])
        if !isOpaque(attributes) {
            for lower in stack.dropFirst() {
                guard let status = try entryStatus(name, in: lower) else { continue }
                guard status.kind == .directory else { break }
                below.append(try lower.open(name))
                if isOpaque(try readAttributes(of: below[below.count - 1])) { break }
            }
        }
        try made.directory.makeDirectory(name, mode: 0o700, path: made.child(name))
        let child = try made.open(name)
        try merge(below, into: child, depth: depth + 1)
        try copyMetadata(of: below[0], attributes: attributes, to: child)
    }

    /// The entry's status, nil when the layer has no such entry.
    private static func entryStatus(_ name: EntryName, in level: Level) throws(SystemError) -> FileStatus? {
        do {
            return try level.directory.status(of: name, path: level.child(name))
        } catch where error.errno == .noSuchFileOrDirectory {
            return nil
        }
    }

    /// The directory's extended attributes, through its descriptor.
    private static func readAttributes(of level: Level) throws(SystemError) -> [ExtendedAttributes.Attribute] {
        try ExtendedAttributes.read(descriptor: level.directory.fd, path: level.path)
    }

    /// Whether a directory with these attributes hides what the layers below
    /// have there (overlay.opaque "y", in either attribute namespace).
    private static func isOpaque(_ attributes: [ExtendedAttributes.Attribute]) -> Bool {
        attributes.contains { OverlayWhiteout.isOpaqueAttribute($0.name) && $0.value == Array("y".utf8) }
    }

    /// Attributes (not overlayfs' own), owner, mode, then times: once the directory is full.
    private static func copyMetadata(of source: Level, attributes: [ExtendedAttributes.Attribute], to made: Level) throws(SystemError) {
        let status = try source.directory.status(path: source.path)
        for (name, value) in attributes where !OverlayWhiteout.isOverlayAttribute(name) {
            try ExtendedAttributes.set(name, to: value, descriptor: made.directory.fd, path: made.path)
        }
        if fchown(made.directory.fd, status.uid, status.gid) != 0 { throw SystemError("change owner", path: made.path) }
        try made.directory.changeMode(to: status.permissions, path: made.path)
        var times = [status.raw.st_atim, status.raw.st_mtim]
        if futimens(made.directory.fd, &times) != 0 { throw SystemError("set times", path: made.path) }
    }
}
