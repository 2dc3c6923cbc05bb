import Foundation
import Glibc
import Testing

/// One test's world: the demo laid out in a fresh directory (base rootfs,
/// package repository, sources, profile), its own store with the base
/// imported, and the `strata` binary to run against it. Everything is
/// removed when the sandbox goes away. Needs root, like strata itself.
final class Sandbox {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        /// strata's own mount table when it exited (STRATA_TEST_MOUNTINFO).
        let mountTable: String

        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try #require(object as? [String: Any], "stdout is not a JSON object: \(stdout)")
        }
    }

    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var binary: String {
        ProcessInfo.processInfo.environment["STRATA_BIN"] ?? repository + "/.build/debug/strata"
    }

    let work: String
    let store: String
    /// Set: strata runs rootless, as this user (the sandbox is its).
    let user: TestUser?
    var profile: String { work + "/demo.toml" }
    /// A host directory bound at /srv/log in every root, writable by anyone:
    /// the install command counts its runs there.
    var log: String { work + "/log" }

    /// `storeIn`: a directory to keep the store in instead of the sandbox
    /// (e.g. /dev/shm, a tmpfs, for tests that create many files: creating a
    /// file on this machine's disk costs about a millisecond).
    /// `user`: run every strata of this sandbox rootless, as that user; the
    /// sandbox's files are made its own.
    init(storeIn: String? = nil, user: TestUser? = nil) throws {
        try #require(geteuid() == 0, "integration tests need root: strata mounts overlay file systems (run make test as root)")
        self.user = user
        work = NSTemporaryDirectory() + "strata-it-" + UUID().uuidString
        store = storeIn.map { $0 + "/strata-it-store-" + UUID().uuidString } ?? work + "/store"
        try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: true)
        chmod(log, 0o1777)
        let setup = try Self.shell(Self.repository + "/Examples/demo/setup.sh", [work])
        try #require(setup.status == 0, "setup.sh failed: \(setup.stderr)")
        try editProfile {
            $0.replacingOccurrences(of: #"install = "/srv/demo-repo/bin/install""#,
                                    with: #"install = "echo run >> /srv/log/installs && /srv/demo-repo/bin/install""#)
                + "\n[[mount]]\nsource = \"\(log)\"\ntarget = \"/srv/log\"\n"
        }
        if let user {
            let owned = try Self.shell("/bin/chown", ["-R", "\(user.uid):\(user.gid)", work])
            try #require(owned.status == 0, "chown of the sandbox failed: \(owned.stderr)")
        }
        let imported = try strata(["image", "import", "demo-base", work + "/rootfs"])
        try #require(imported.status == 0, "image import failed: \(imported.stderr)")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: work)
        try? FileManager.default.removeItem(atPath: store)
    }

    func editProfile(_ edit: (String) -> String) throws {
        let text = try String(contentsOfFile: profile, encoding: .utf8)
        try edit(text).write(toFile: profile, atomically: true, encoding: .utf8)
    }

    func source(_ name: String) -> String { work + "/src/" + name }

    /// How many times an install command ran.
    var installRuns: Int {
        ((try? String(contentsOfFile: log + "/installs", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// Runs strata against this sandbox's store.
    func strata(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil) throws -> Run {
        let snapshot = work + "/mountinfo-" + UUID().uuidString
        var environment = ProcessInfo.processInfo.environment
        environment["STRATA_STORE"] = store
        environment["STRATA_TEST_MOUNTINFO"] = snapshot
        environment.merge(extra) { $1 }
        let (program, all) = command(arguments)
        var run = try Self.shell(program, all, environment: user?.environment(environment) ?? environment, input: input)
        let table = (try? String(contentsOfFile: snapshot, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: snapshot)
        run = Run(status: run.status, stdout: run.stdout, stderr: run.stderr, mountTable: table)
        return run
    }

    /// A second, empty store with the same base image imported: another
    /// machine, as far as layers go (the profile and its paths are shared).
    func secondStore(_ name: String = "store-b") throws -> String {
        let path = work + "/" + name
        let imported = try strata(["--store", path, "image", "import", "demo-base", work + "/rootfs"])
        try #require(imported.status == 0, "image import into \(path) failed: \(imported.stderr)")
        return path
    }

    /// The finished layers of a store, and any temporary ones left in it.
    func layerDirectories(in store: String) -> [String] {
        entries(store + "/layers")
    }

    func build(_ package: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> Run {
        try strata(["--json", "build", "--profile", profile, "--output", work + "/out"] + extra + [source(package)],
                   environment: environment)
    }

    /// Starts strata without waiting for it; its output goes to files in
    /// the sandbox, read with `finish`.
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        let (program, all) = command(arguments)
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = all
        let name = UUID().uuidString
        var environment = ProcessInfo.processInfo.environment
        environment["STRATA_STORE"] = store
        environment["STRATA_TEST_MOUNTINFO"] = work + "/\(name).mountinfo"
        environment.merge(extra) { $1 }
        process.environment = user?.environment(environment) ?? environment
        FileManager.default.createFile(atPath: work + "/\(name).out", contents: nil)
        FileManager.default.createFile(atPath: work + "/\(name).err", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: work + "/\(name).out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: work + "/\(name).err"))
        outputs[ObjectIdentifier(process)] = name
        try process.run()
        return process
    }

    private var outputs: [ObjectIdentifier: String] = [:]

    /// strata with `arguments`, as this sandbox's user when it has one (the
    /// same process: setpriv execs strata).
    func command(_ arguments: [String]) -> (String, [String]) {
        user?.command(Self.binary, arguments) ?? (Self.binary, arguments)
    }

    /// Waits for a started strata and returns what it printed, and its
    /// mount table when it exited (empty when it was killed).
    func finish(_ process: Process) -> Run {
        process.waitUntilExit()
        let name = outputs[ObjectIdentifier(process)] ?? ""
        return Run(status: process.terminationStatus,
                   stdout: (try? String(contentsOfFile: work + "/\(name).out", encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOfFile: work + "/\(name).err", encoding: .utf8)) ?? "",
                   mountTable: (try? String(contentsOfFile: work + "/\(name).mountinfo", encoding: .utf8)) ?? "")
    }

    func buildArguments(_ package: String, json: Bool = true) -> [String] {
        (json ? ["--json"] : []) + ["build", "--profile", profile, "--output", work + "/out-" + package, source(package)]
    }

    /// A third source package whose build dependencies differ from hello's.
    func addPackage(_ name: String, buildDepends: String) throws {
        let directory = source(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try buildDepends.write(toFile: directory + "/build-depends", atomically: true, encoding: .utf8)
        try writeBuildScript("#!/bin/sh\nset -eu\necho \(name) > \(name).txt\npkgtool \(name) 1.0 \(name).txt\n", for: name)
    }

    /// Replaces the build script (`build.sh`, which the demo profile's [build] runs) of `package`.
    func writeBuildScript(_ script: String, for package: String) throws {
        try script.write(toFile: source(package) + "/build.sh", atomically: true, encoding: .utf8)
    }

    /// A new source package `name`: a copy of hello (so the same build
    /// dependencies and deps layer) whose build script is `script`.
    func copyHello(as name: String, buildScript script: String) throws {
        try FileManager.default.copyItem(atPath: source("hello"), toPath: source(name))
        try writeBuildScript(script, for: name)
    }

    /// Mount points under the store in a mount table (a /proc/*/mountinfo text).
    func mounts(underStoreIn table: String) -> [String] {
        table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let target = String(fields[4])
            return target.hasPrefix(store) ? target : nil
        }
    }

    /// The mount namespace of a running process ("mnt:[4026532]"): strata's
    /// mounts live there, and only there.
    static func mountNamespace(of pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt")
    }

    /// Pids still in `namespace`. A killed strata's namespace, with every
    /// mount in it, ends when the last of them does: none, nothing mounted.
    static func processes(inMountNamespace namespace: String) -> [Int32] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { mountNamespace(of: $0) == namespace }
    }

    func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// Asserts the state every build must leave: nothing mounted under the
    /// store in strata's own namespace when it exited (the only place its
    /// mounts can be; the host's table would show nothing even if teardown
    /// did nothing), and builds/ empty.
    func expectTornDown(_ run: Run, keptBuilds: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(!run.mountTable.isEmpty, "strata wrote no mount table snapshot", sourceLocation: sourceLocation)
        #expect(mounts(underStoreIn: run.mountTable) == [], "left mounted inside strata", sourceLocation: sourceLocation)
        #expect(entries(store + "/builds").count == keptBuilds, "builds/: \(entries(store + "/builds"))", sourceLocation: sourceLocation)
    }

    static func shell(_ program: String, _ arguments: [String], environment: [String: String]? = nil,
                      input: String? = nil) throws -> Run {
        let process = Process()
        let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        if let input {
            try input.write(to: inputFile, atomically: false, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: inputFile)
        }
        defer { try? FileManager.default.removeItem(at: inputFile) }
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        let err = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                   mountTable: "")
    }
}

/// Polls `condition` until it holds or `seconds` pass. For waiting on other
/// processes only; strata itself never sleeps to synchronise.
func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
