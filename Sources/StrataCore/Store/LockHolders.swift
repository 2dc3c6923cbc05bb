import StrataOS

/// Names the processes holding a lock, for error messages.
enum LockHolders {
    static func describe(_ pids: [Int32]) -> String {
        if pids.isEmpty { return "held by a process that could not be identified" }
        return "held by " + pids.map { pid in
            let raw = (try? FileTree.readFile("/proc/\(pid)/cmdline")) ?? []
            let command = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            return command.isEmpty ? "pid \(pid)" : "pid \(pid) (\(command))"
        }.joined(separator: ", ")
    }
}
