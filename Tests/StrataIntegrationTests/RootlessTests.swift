import Foundation
import Glibc
import Testing

/// strata as an ordinary user (rootless: its own user namespace of the
/// user's subordinate ids, overlays with userxattr), and root's builds in a
/// user namespace of their own. Each test makes its user and removes it.
@Suite(.needsRoot) struct RootlessTests {
    private static func depsKey(_ run: Sandbox.Run) throws -> String {
        let layers = try #require(try run.json()["layers"] as? [[String: Any]])
        return try #require(layers.first { $0["role"] as? String == "deps" }?["key"] as? String)
    }

    private static func depsReused(_ run: Sandbox.Run) throws -> Bool? {
        let layers = try #require(try run.json()["layers"] as? [[String: Any]])
        return layers.first { $0["role"] as? String == "deps" }?["reused"] as? Bool
    }

    @Test func theDemoRunsEndToEndWithoutRoot() throws {
        let user = try TestUser()
        let sandbox = try Sandbox(user: user)
        let first = try sandbox.build("hello")
        #expect(first.status == 0, "\(first.stderr)")
        try sandbox.expectTornDown(first)
        #expect(try Self.depsReused(first) == false)
        #expect(sandbox.installRuns == 1)
        // Really rootless: the store says so, and on disk the layer belongs to
        // the user (uid 0 inside) and the base's files to the user too.
        let key = try Self.depsKey(first)
        #expect(try String(contentsOfFile: sandbox.store + "/.strata-privilege", encoding: .utf8) == "rootless\n")
        var status = stat()
        #expect(lstat(sandbox.store + "/layers/\(key)/upper", &status) == 0 && status.st_uid == user.uid)
        #expect(lstat(sandbox.store + "/images/demo-base/rootfs/bin", &status) == 0 && status.st_uid == user.uid)

        let again = try sandbox.build("hello")
        #expect(again.status == 0, "\(again.stderr)")
        try sandbox.expectTornDown(again)
        #expect(try Self.depsReused(again) == true)
        #expect(try Self.depsKey(again) == key)
        #expect(sandbox.installRuns == 1, "the install command ran again")

        let published = try Sandbox.shell(Sandbox.repository + "/Examples/demo/publish-update.sh", [sandbox.work + "/repo"])
        #expect(published.status == 0, "\(published.stderr)")
        let updated = try sandbox.build("hello")
        #expect(updated.status == 0, "\(updated.stderr)")
        try sandbox.expectTornDown(updated)
        #expect(try Self.depsReused(updated) == false)
        #expect(try Self.depsKey(updated) != key)
        #expect(sandbox.installRuns == 2)
        #expect(user.processes.isEmpty, "processes of \(user.name) left: \(user.processes)")
    }

    /// One key space: the same inputs give the same keys in both modes, and a
    /// layer pushed by either is pulled and reused by the other.
    @Test func rootAndRootlessShareKeysAndLayersThroughARegistry() throws {
        let user = try TestUser()
        let rootless = try Sandbox(user: user)
        let root = try Sandbox()
        let registry = try RegistryServer(in: root.work)
        defer { registry.stop() }
        // The install replaces a base directory (an opaque directory in the layer)
        // and removes a base file (a whiteout); the build reports what it sees.
        for sandbox in [rootless, root] {
            try sandbox.editProfile {
                $0.replacingOccurrences(of: #"install = "echo run"#, with: #"install = "rm -rf /usr/sbin && mkdir /usr/sbin && touch /usr/sbin/marker && rm /sbin/acpid && echo run"#)
                    .replacingOccurrences(of: #"run = "sh ./build.sh""#, with: #"run = "ls /usr/sbin > /build/out/seen; [ -L /sbin/acpid ] || echo acpid gone >> /build/out/seen""#)
            }
        }
        let seenAfterPull = "marker\nacpid gone\n"

        let built = try rootless.build("hello")
        #expect(built.status == 0, "\(built.stderr)")
        let key = try Self.depsKey(built)
        let rootPlan = try root.strata(["--json", "plan", "--profile", root.profile, root.source("hello")])
        let planned = try #require(try rootPlan.json()["layers"] as? [[String: Any]])
        #expect(planned.first { $0["role"] as? String == "deps" }?["key"] as? String == key,
                "root and rootless disagree on the deps key")

        // Rootless → registry → root.
        let pushed = try rootless.strata(["--json", "push", key, "--to", registry.repository])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let pulled = try root.strata(["--json", "pull", key, "--from", registry.repository])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let reused = try root.build("hello")
        #expect(reused.status == 0, "\(reused.stderr)")
        #expect(try Self.depsReused(reused) == true)
        #expect(root.installRuns == 0, "root installed although it pulled the rootless layer")
        let seenByRoot = try? String(contentsOfFile: root.work + "/out/seen", encoding: .utf8)
        #expect(seenByRoot == seenAfterPull, "the rootless layer's opaque directory or whiteout did not come through: \(String(describing: seenByRoot))")
        let verified = try root.strata(["layers", "verify", key])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        // Root → registry → rootless (a second rootless store).
        let other = try rootless.secondStore()
        let pulledBack = try rootless.strata(["--json", "--store", other, "pull", key, "--from", registry.repository])
        #expect(pulledBack.status == 0, "\(pulledBack.stderr)")
        let rootlessAgain = try rootless.strata(["--json", "--store", other, "build", "--profile", rootless.profile,
                                                 "--output", rootless.work + "/out2", rootless.source("hello")])
        #expect(rootlessAgain.status == 0, "\(rootlessAgain.stderr)")
        #expect(try Self.depsReused(rootlessAgain) == true)
        #expect(rootless.installRuns == 1)
        let seenRootless = try? String(contentsOfFile: rootless.work + "/out2/seen", encoding: .utf8)
        #expect(seenRootless == seenAfterPull, "root's layer's opaque directory or whiteout did not come through: \(String(describing: seenRootless))")
    }

    /// Files an installer makes as root:root 4755 and as 100:65534 0640 (as
    /// Debian's _apt:nogroup) look the same from inside in both modes, and
    /// root's layer keeps that ownership on disk.
    @Test func ownershipAndModesAreTheSameInBothModes() throws {
        let user = try TestUser()
        var seen: [String] = []
        for sandbox in [try Sandbox(), try Sandbox(user: user)] {
            try sandbox.editProfile {
                $0.replacingOccurrences(of: #"install = "echo run"#, with: #"install = "mkdir -p /opt/own && echo x > /opt/own/suid && chmod 4755 /opt/own/suid && echo y > /opt/own/apt && chown 100:65534 /opt/own/apt && chmod 0640 /opt/own/apt && echo run"#)
                    .replacingOccurrences(of: #"run = "sh ./build.sh""#, with: #"run = "stat -c '%u:%g %a %n' /opt/own/apt /opt/own/suid > /build/out/owners.txt""#)
            }
            let run = try sandbox.build("hello")
            #expect(run.status == 0, "\(run.stderr)")
            seen.append((try? String(contentsOfFile: sandbox.work + "/out/owners.txt", encoding: .utf8)) ?? "")
            if sandbox.user == nil {
                let upper = sandbox.store + "/layers/\(try Self.depsKey(run))/upper/opt/own"
                var status = stat()
                #expect(lstat(upper + "/suid", &status) == 0 && status.st_uid == 0 && status.st_gid == 0 && status.st_mode & 0o7777 == 0o4755)
                #expect(lstat(upper + "/apt", &status) == 0 && status.st_uid == 100 && status.st_gid == 65534 && status.st_mode & 0o7777 == 0o640)
            }
        }
        #expect(seen[0] == "100:65534 640 /opt/own/apt\n0:0 4755 /opt/own/suid\n")
        #expect(seen[0] == seen[1], "root saw \(seen[0]), rootless saw \(seen[1])")
    }

    /// As root, the build runs in a user namespace by default: uid 0 inside,
    /// an unprivileged uid on the host (read from /proc); --no-userns runs it
    /// as host root.
    @Test(arguments: [true, false])
    func rootBuildsRunInAUserNamespaceByDefault(userns: Bool) throws {
        let sandbox = try Sandbox()
        let go = sandbox.log + "/go"
        #expect(mkfifo(go, 0o666) == 0)
        try sandbox.editProfile {
            $0.replacingOccurrences(of: "user = \"build\"\n", with: "")
                .replacingOccurrences(of: #"run = "sh ./build.sh""#,
                                      with: #"run = "sh -c 'id -u > /build/out/inside; read line < /srv/log/go' strata-uid-probe""#)
        }
        let strata = try sandbox.start((userns ? [] : ["--no-userns"]) + sandbox.buildArguments("hello"))
        var probe: Int32?
        let found = eventually(within: 60) {
            probe = Self.process(withArgument: "strata-uid-probe")
            return probe != nil
        }
        #expect(found, "the build never started: \(found ? "" : sandbox.finish(strata).stderr)")
        let hostUID = probe.flatMap(Self.uid(of:))
        // The build waits for a line on the fifo; opened without blocking, so
        // that a build that failed instead does not hang the test.
        var writer: Int32 = -1
        #expect(eventually(within: 60) {
            writer = open(go, O_WRONLY | O_NONBLOCK)
            return writer >= 0 || strata.isRunning == false
        })
        if writer >= 0 {
            _ = "go\n".withCString { write(writer, $0, 3) }
            close(writer)
        }
        let run = sandbox.finish(strata)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try String(contentsOfFile: sandbox.work + "/out-hello/inside", encoding: .utf8) == "0\n")
        if userns {
            #expect(hostUID != nil && hostUID! >= 65536, "the build's root is uid \(String(describing: hostUID)) on the host")
        } else {
            #expect(hostUID == 0)
        }
    }

    /// An installer that tries to reach the host: a host-wide sysctl, a host
    /// path through /proc/1/root, a descriptor inherited from whoever started
    /// strata. In root's user namespace every one fails; with --no-userns the
    /// sysctl write succeeds (it writes back the value it read), which shows
    /// the check can fail.
    @Test(arguments: [true, false])
    func anInstallerCannotReachTheHost(userns: Bool) throws {
        let sandbox = try Sandbox()
        let target = sandbox.work + "/host-target"
        let directory = sandbox.work + "/host-directory"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try sandbox.editProfile {
            $0.replacingOccurrences(of: #"install = "echo run"#, with: """
                install = "v=$(cat /proc/sys/vm/swappiness); if (echo $v > /proc/sys/vm/swappiness) 2>/dev/null; then echo sysctl >> /srv/log/escapes; fi; \
                (echo x > /proc/1/root\(target)) 2>/dev/null; (echo x > /proc/self/fd/9/escaped) 2>/dev/null; echo run
                """)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["STRATA_STORE"] = sandbox.store
        let arguments = (userns ? [] : ["--no-userns"]) + sandbox.buildArguments("hello")
        let run = try Sandbox.shell("/bin/sh", ["-c", "exec 9<\"$0\"; exec \"$@\"", directory, Sandbox.binary] + arguments,
                                    environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(sandbox.installRuns == 1)
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(!FileManager.default.fileExists(atPath: directory + "/escaped"))
        let escapes = (try? String(contentsOfFile: sandbox.log + "/escapes", encoding: .utf8)) ?? ""
        #expect(escapes == (userns ? "" : "sysctl\n"))
    }

    /// update, layers export/import/verify, gc and image rm as an ordinary user.
    @Test func theLayerCommandsWorkRootless() throws {
        let user = try TestUser()
        let sandbox = try Sandbox(user: user)
        try sandbox.editProfile {
            $0.replacingOccurrences(of: "[deps]\n", with: "[update]\nrun = \"echo 1 > /etc/updated\"\nstate = \"cat /etc/updated\"\n\n[deps]\n")
        }
        let update = try sandbox.strata(["--json", "update", sandbox.profile])
        #expect(update.status == 0, "\(update.stderr)")
        let built = try sandbox.build("hello")
        #expect(built.status == 0, "\(built.stderr)")
        let key = try Self.depsKey(built)
        let blob = sandbox.work + "/deps.tar.zst"
        let exported = try sandbox.strata(["layers", "export", key, "-o", blob])
        #expect(exported.status == 0, "\(exported.stderr)")
        let verified = try sandbox.strata(["layers", "verify"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        let other = try sandbox.secondStore()
        let updateKey = try #require(try update.json()["key"] as? String)
        let updateBlob = sandbox.work + "/update.tar.zst"
        #expect(try sandbox.strata(["layers", "export", updateKey, "-o", updateBlob]).status == 0)
        for file in [updateBlob, blob] {
            let imported = try sandbox.strata(["--store", other, "layers", "import", file])
            #expect(imported.status == 0, "\(imported.stderr)")
        }
        let listed = try sandbox.strata(["--json", "--store", other, "layers", "list"])
        #expect(listed.status == 0 && listed.stdout.contains(key) && listed.stdout.contains(updateKey), "\(listed.stdout)\(listed.stderr)")
        #expect(try sandbox.strata(["--store", other, "layers", "verify"]).status == 0)

        let collected = try sandbox.strata(["--json", "gc", "--max-size", "0"])
        #expect(collected.status == 0, "\(collected.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.store + "/layers/" + key), "gc left the deps layer")
        let removed = try sandbox.strata(["image", "rm", "demo-base"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.store + "/images/demo-base"))
    }

    /// Without --store or STRATA_STORE a user's store is ~/.local/share/strata,
    /// made with its parents, and a profile name is found in ~/.config/strata/profiles.
    @Test func aUserGetsItsOwnDefaultStoreAndProfiles() throws {
        let user = try TestUser()
        let sandbox = try Sandbox(user: user)
        let profiles = user.home + "/.config/strata/profiles"
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: sandbox.profile, toPath: profiles + "/mine.toml")
        #expect(try Sandbox.shell("/bin/chown", ["-R", "\(user.uid):\(user.gid)", user.home + "/.config"]).status == 0)
        var environment = user.environment(ProcessInfo.processInfo.environment)
        environment["STRATA_STORE"] = nil
        let run = { (arguments: [String]) throws -> Sandbox.Run in
            let (program, all) = user.command(Sandbox.binary, arguments)
            return try Sandbox.shell(program, all, environment: environment)
        }
        let imported = try run(["image", "import", "demo-base", sandbox.work + "/rootfs"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let store = user.home + "/.local/share/strata"
        #expect(try String(contentsOfFile: store + "/.strata-privilege", encoding: .utf8) == "rootless\n")
        let planned = try run(["--json", "plan", "--profile", "mine", sandbox.source("hello")])
        #expect(planned.status == 10, "\(planned.stderr)")
        #expect(try planned.json()["profile"] as? String == "mine")
    }

    /// A base with device nodes in /dev (as debootstrap makes) imports as root
    /// and rootless, from an archive and from a directory, to the same digest:
    /// the nodes below /dev are left out (every root has strata's own /dev).
    /// A device node elsewhere is refused rootless, naming it.
    @Test func aBaseWithDeviceNodesImportsToTheSameDigestInBothModes() throws {
        let user = try TestUser()
        let root = try Sandbox()
        let rootless = try Sandbox(user: user)
        let tree = root.work + "/with-dev"
        let made = try Sandbox.shell("/bin/sh", ["-c", """
            set -e
            cp -a "$0/rootfs" "$1"
            mknod -m 600 "$1/dev/console" c 5 1
            mknod -m 666 "$1/dev/null" c 1 3
            mkdir -p "$1/dev/pts" "$1/dev/sub" && mknod -m 660 "$1/dev/sub/loop9" b 7 9
            tar -C "$1" -cf "$1.tar" .
            cp -a "$1" "$1-e" && mknod -m 600 "$1-e/elsewhere" c 1 3
            tar -C "$1-e" -cf "$1-elsewhere.tar" .
            chmod 644 "$1.tar" "$1-elsewhere.tar"
            """, root.work, tree])
        try #require(made.status == 0, "\(made.stderr)")
        var digests: [String] = []
        for (sandbox, source) in [(root, tree + ".tar"), (rootless, tree + ".tar"), (root, tree)] {
            let name = "with-dev-\(digests.count)"
            let imported = try sandbox.strata(["--json", "image", "import", name, source])
            #expect(imported.status == 0, "\(imported.stderr)")
            digests.append((try? imported.json()["digest"] as? String) ?? "")
            let rootfs = sandbox.store + "/images/\(name)/rootfs"
            #expect(!FileManager.default.fileExists(atPath: rootfs + "/dev/console"))
            #expect(!FileManager.default.fileExists(atPath: rootfs + "/dev/sub/loop9"))
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: rootfs + "/dev/pts", isDirectory: &isDirectory) && isDirectory.boolValue)
        }
        #expect(Set(digests).count == 1 && !digests[0].isEmpty, "digests: \(digests)")

        let refused = try rootless.strata(["image", "import", "elsewhere", tree + "-elsewhere.tar"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("elsewhere") && refused.stderr.contains("outside /dev"), "\(refused.stderr)")
        #expect(try root.strata(["image", "import", "elsewhere", tree + "-elsewhere.tar"]).status == 0)
    }

    /// autopkgtest as a user: the virt server's testbed is the user's,
    /// root inside it, and what is copied up belongs to the user.
    @Test func theVirtServerServesATestbedWithoutRoot() throws {
        let user = try TestUser()
        let sandbox = try Sandbox(user: user)
        let client = try VirtClient(sandbox)
        #expect(client.readLine() == "ok", "\(client.stderr)")
        let scratch = try client.open()
        let run = try client.execute(["sh", "-c", "id -u; echo made > \(scratch)/file"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "0\n")
        #expect(try client.send("copyup \(scratch)/file \(sandbox.work)/file") == "ok")
        let status = try FileManager.default.attributesOfItem(atPath: sandbox.work + "/file")
        #expect((status[.ownerAccountID] as? NSNumber)?.uint32Value == user.uid)
        #expect(try client.send("revert") == "ok \(scratch)")
        #expect(try client.execute(["ls", "-A", scratch]).stdout == "")
        #expect(try client.send("quit") == "ok")
        let ended = try client.finish()
        #expect(ended.status == 0, "\(ended.stderr)")
        try sandbox.expectTornDown(ended)
    }

    @Test func withoutSubordinateIDsTheErrorSaysWhichLinesToAdd() throws {
        let sandbox = try Sandbox()
        let run = try Sandbox.shell("/usr/bin/setpriv", [
            "--reuid=65534", "--regid=65534", "--clear-groups", Sandbox.binary,
            "--store", sandbox.work + "/nobody-store", "build", "--profile", sandbox.profile, sandbox.source("hello"),
        ])
        #expect(run.status == 4, "\(run.stderr)")
        #expect(run.stderr.contains("/etc/subuid") && run.stderr.contains("/etc/subgid") && run.stderr.contains("nobody:"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.work + "/nobody-store"))
    }

    private static func process(withArgument argument: String) -> Int32? {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.first { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.first == "sh" && arguments.last == argument
        }
    }

    private static func uid(of pid: Int32) -> UInt32? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return nil }
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { UInt32($0) }
    }
}
