extension MountStack {
    /// A build root's minimal /dev onto `dev`: a fresh tmpfs with the null,
    /// zero, full, random, urandom and tty nodes, the fd and std* links,
    /// its own devpts instance at pts and a tmpfs at shm. Nothing in a fresh
    /// tmpfs can be a link, so the paths below `dev` are built by name.
    /// Inside a user namespace, where no device node can be made, the
    /// host's nodes are bound onto empty files instead. `owner` (host ids)
    /// owns the tmpfs directories: the root of a user namespace builds run in.
    public func pushDeviceDirectory(onto dev: RootPath, owner: IDMapping? = nil) throws(SystemError) {
        try push(.deviceTmpfs(at: dev.host).owned(by: owner), onto: dev)
        let path = dev.host
        let nodes: [(name: String, major: UInt32, minor: UInt32)] = [
            ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
        ]
        for node in nodes {
            let target = path + "/" + node.name
            do {
                try FileTree.makeCharacterDevice(target, major: node.major, minor: node.minor, mode: 0o666)
            } catch where error.errno == .notPermitted {
                try FileTree.writeFile(target, [])
                try push(.bind("/dev/" + node.name, to: target, readOnly: false))
            }
        }
        let links = [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                     ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx")]
        for (name, target) in links { try FileTree.makeSymlink(path + "/" + name, pointingTo: target) }
        for sub in ["pts", "shm"] { try FileTree.makeDirectory(path + "/" + sub) }
        try push(.devpts(at: path + "/pts"))
        try push(.tmpfs(at: path + "/shm").owned(by: owner))
    }
}
