extension MountStack {
    /// A build root's minimal /dev onto `dev`: a fresh tmpfs with the null,
    /// zero, full, random, urandom and tty nodes, the fd and std* links,
    /// its own devpts instance at pts and a tmpfs at shm. Nothing in a fresh
    /// tmpfs can be a link, so the paths below `dev` are built by name.
    public func pushDeviceDirectory(onto dev: RootPath) throws(SystemError) {
        try push(.deviceTmpfs(at: dev.host), onto: dev)
        let path = dev.host
        let nodes: [(name: String, major: UInt32, minor: UInt32)] = [
            ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
        ]
        for node in nodes {
            try FileTree.makeCharacterDevice(path + "/" + node.name, major: node.major, minor: node.minor, mode: 0o666)
        }
        let links = [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                     ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx")]
        for (name, target) in links { try FileTree.makeSymlink(path + "/" + name, pointingTo: target) }
        for sub in ["pts", "shm"] { try FileTree.makeDirectory(path + "/" + sub) }
        try push(.devpts(at: path + "/pts"))
        try push(.tmpfs(at: path + "/shm"))
    }
}
