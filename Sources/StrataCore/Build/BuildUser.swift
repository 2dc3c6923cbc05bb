import StrataOS

/// The unprivileged user a build runs as (`[build] user`): found in the
/// root's /etc/passwd, or added to it (and to /etc/group) in the scratch layer.
struct BuildUser {
    let name: String
    let identity: IsolatedCommand.Identity
    let home: String

    /// Looks the user up in the root, creating it when missing.
    static func ensure(_ name: String, in root: BuildRoot) throws(StrataError) -> BuildUser {
        try during("set up build user '\(name)' in \(root.path)") { try root.asRoot { () throws -> BuildUser in
            // Resolved inside the root: a link at /etc/passwd leads to a file in
            // the root, and the copy-up of what is written lands in the scratch.
            guard let passwd = try RootPath.resolve("/etc/passwd", in: root.path),
                  let group = try RootPath.resolve("/etc/group", in: root.path),
                  try passwd.status().kind == .regular, try group.status().kind == .regular else {
                throw StrataError.input("the root has no /etc/passwd or /etc/group (as regular files), so build.user '\(name)' cannot be created; add them to the base image")
            }
            let passwdPath = passwd.host
            let groupPath = group.host
            let passwdText = String(decoding: try FileTree.readFile(passwdPath), as: UTF8.self)
            let entries = passwdText.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false) }
            if let entry = entries.first(where: { $0.count >= 6 && $0[0] == name }),
               let uid = UInt32(entry[2]), let gid = UInt32(entry[3]) {
                return BuildUser(name: name, identity: .init(uid: uid, gid: gid), home: String(entry[5]))
            }
            let groupText = String(decoding: try FileTree.readFile(groupPath), as: UTF8.self)
            let usedUIDs = Set(entries.compactMap { $0.count > 2 ? UInt32($0[2]) : nil })
            let usedGIDs = Set(groupText.split(separator: "\n").compactMap { line -> UInt32? in
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                return fields.count > 2 ? UInt32(fields[2]) : nil
            })
            var id: UInt32 = 1000
            while usedUIDs.contains(id) || usedGIDs.contains(id) { id += 1 }
            let home = "/build"
            try append("\(name):x:\(id):\(id):strata build user:\(home):/bin/sh\n", to: passwdPath, after: passwdText)
            try append("\(name):x:\(id):\n", to: groupPath, after: groupText)
            return BuildUser(name: name, identity: .init(uid: id, gid: id), home: home)
        } }
    }

    private static func append(_ line: String, to path: String, after content: String) throws(SystemError) {
        let separator = content.isEmpty || content.hasSuffix("\n") ? "" : "\n"
        try FileTree.writeFile(path, Array((content + separator + line).utf8))
    }
}
