import Foundation
import Glibc
import Testing

/// Links planted by an image or a layer at every mount target, at the output
/// and at resolv.conf lead somewhere inside the root, never outside: strata
/// mounts nothing outside its store, writes nothing outside the root, and a
/// root process inside cannot leave it; a setuid binary does not make the
/// build user root again.
@Suite(.needsRoot) struct ContainmentTests {
    /// Host paths a hostile root points at, which must stay exactly as they are.
    struct Sentinels {
        let file: String
        let directory: String
        let outputDirectory: String
        let inode: UInt64

        init(in work: String) throws {
            file = work + "/sentinel-file"
            directory = work + "/sentinel-dir"
            outputDirectory = work + "/sentinel-out"
            try "host content\n".write(toFile: file, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
            var info = stat()
            try #require(stat(file, &info) == 0)
            inode = UInt64(info.st_ino)
        }

        func expectUntouched(sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "host content\n", sourceLocation: sourceLocation)
            var info = stat()
            #expect(stat(file, &info) == 0 && UInt64(info.st_ino) == inode, "the sentinel file was replaced", sourceLocation: sourceLocation)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "something was written into a host directory", sourceLocation: sourceLocation)
            #expect(try FileManager.default.contentsOfDirectory(atPath: outputDirectory).isEmpty, "the build wrote into a host directory", sourceLocation: sourceLocation)
        }

        /// Where a hostile root puts a link, and where it leads on the host.
        func link(_ place: String) -> String {
            switch place {
            case "/etc/hostfile": file
            case "/srv/hostdir": directory
            default: outputDirectory
            }
        }

        /// Shell commands that plant a resolv.conf link into /run (as
        /// systemd-resolved images have) and, when given, a hostile link at
        /// `place`, in the root `$1`.
        func plant(_ place: String?) -> String {
            var script = """
                mkdir -p "$1/etc" "$1/srv" && rm -f "$1/etc/resolv.conf" && \
                ln -s ../run/systemd/resolve/stub-resolv.conf "$1/etc/resolv.conf"
                """
            if let place { script += " && ln -s \(link(place)) \"$1\(place)\"" }
            return script
        }
    }

    private func hostileProfile(_ sandbox: Sandbox, sentinels: Sentinels, image: String) throws {
        let tools = sandbox.work + "/tools"
        try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
        try "tool file\n".write(toFile: sandbox.work + "/toolfile", atomically: true, encoding: .utf8)
        // Exists only on the host: a process that sees it has left the root.
        try "host only\n".write(toFile: sandbox.work + "/host-only", atomically: true, encoding: .utf8)
        let probe = sandbox.work + "/tools/escape-probe"
        let compiled = try Sandbox.shell("/usr/bin/cc", ["-static", "-O1", "-o", probe, Sandbox.repository + "/Tests/Support/escape-probe.c"])
        try #require(compiled.status == 0, "cc: \(compiled.stderr)")
        try sandbox.editProfile {
            $0.replacingOccurrences(of: #"image = "demo-base""#, with: "image = \"\(image)\"")
                .replacingOccurrences(of: "&& /srv/demo-repo/bin/install",
                                      with: "&& /srv/demo-repo/bin/install && mkdir -p /usr/local/bin && cp /srv/tools/escape-probe /usr/local/bin/escape-probe && chmod 4755 /usr/local/bin/escape-probe && cd /tmp && /usr/local/bin/escape-probe \(sandbox.work)/host-only > /srv/log/install-probe")
                .replacingOccurrences(of: #"output = "/build/out""#, with: #"output = "/srv/out""#)
                .replacingOccurrences(of: #"run = "sh ./build.sh""#,
                                      with: #"run = "cat /etc/hostfile > /srv/log/seen-file; ls /srv/hostdir > /srv/log/seen-dir; head -1 /etc/resolv.conf > /srv/log/seen-resolv; mkdir -p /srv/out && echo artifact > /srv/out/artifact.txt && cp /bin/busybox /srv/out/suid && chmod 4755 /srv/out/suid && mkfifo /srv/out/fifo; cd /build/src && /usr/local/bin/escape-probe \#(sandbox.work)/host-only > /srv/log/build-probe""#)
                .replacingOccurrences(of: "[build]\n", with: "[build]\nnetwork = true\n")
                + """

                [[mount]]
                source = "\(sandbox.work)/toolfile"
                target = "/etc/hostfile"
                readonly = true

                [[mount]]
                source = "\(tools)"
                target = "/srv/hostdir"
                readonly = true

                [[mount]]
                source = "\(tools)"
                target = "/srv/tools"
                readonly = true
                """
        }
    }

    /// Mount points in strata's namespace that the test's own does not have.
    private func newMounts(of pid: Int32) throws -> [String] {
        func targets(_ table: String) -> Set<String> {
            Set(table.split(separator: "\n").compactMap { line in line.split(separator: " ").dropFirst(4).first.map(String.init) })
        }
        let own = targets(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8))
        return targets(try String(contentsOfFile: "/proc/\(pid)/mountinfo", encoding: .utf8)).subtracting(own).sorted()
    }

    private func hostileImage(_ sandbox: Sandbox, _ sentinels: Sentinels, link place: String?) throws {
        let hostile = sandbox.work + "/hostile-rootfs"
        #expect(try Sandbox.shell("/bin/cp", ["-a", sandbox.work + "/rootfs", hostile]).status == 0)
        let planted = try Sandbox.shell("/bin/sh", ["-c", sentinels.plant(place), "plant", hostile])
        try #require(planted.status == 0, "\(planted.stderr)")
        #expect(try sandbox.strata(["image", "import", "hostile", hostile]).status == 0)
        try hostileProfile(sandbox, sentinels: sentinels, image: "hostile")
    }

    /// A root with resolv.conf as a link: builds, reads the host's resolver
    /// through it, and nothing inside can leave or regain root.
    @Test func aResolvConfLinkIsFollowedInsideTheRootAndNothingLeavesIt() throws {
        let sandbox = try Sandbox()
        let sentinels = try Sentinels(in: sandbox.work)
        try hostileImage(sandbox, sentinels, link: nil)
        try expectContained(sandbox, sentinels)
    }

    /// A link an image planted at a mount target or at the output is refused,
    /// naming it, and nothing outside the root changes.
    @Test(arguments: ["/etc/hostfile", "/srv/hostdir", "/srv/out"])
    func aLinkPlantedInTheImageIsRefused(place: String) throws {
        let sandbox = try Sandbox()
        let sentinels = try Sentinels(in: sandbox.work)
        try hostileImage(sandbox, sentinels, link: place)
        try expectRefused(sandbox, sentinels, place: place)
    }

    /// The same key with content someone else made: a pulled or imported
    /// layer with a link where the profile mounts or outputs.
    @Test(arguments: ["/etc/hostfile", "/srv/hostdir", "/srv/out"])
    func aLinkPlantedInAnImportedLayerIsRefused(place: String) throws {
        let sandbox = try Sandbox()
        let sentinels = try Sentinels(in: sandbox.work)
        try hostileProfile(sandbox, sentinels: sentinels, image: "demo-base")
        let first = try sandbox.build("hello")
        try #require(first.status == 0, "\(first.stderr)")
        let key = try #require((try first.json()["layers"] as? [[String: Any]])?.last?["key"] as? String)
        let blob = sandbox.work + "/real.tar"
        #expect(try sandbox.strata(["layers", "export", key, "-o", blob, "--compression", "none"]).status == 0)
        let description = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: blob + ".json"))) as? [String: Any])
        #expect(try sandbox.strata(["layers", "rm", key]).status == 0)
        let crafted = try LayerExchangeTests.craft(sandbox, description: description, name: "hostile-layer", python: """
            for directory in ["etc", "srv", "usr", "usr/local", "usr/local/bin"]:
                add(directory, tarfile.DIRTYPE, mode=0o755)
            add("usr/local/bin/escape-probe", data=open(\(String(reflecting: sandbox.work + "/tools/escape-probe")), "rb").read(), mode=0o4755)
            add(\(String(reflecting: String(place.dropFirst()))), tarfile.SYMTYPE, linkname=\(String(reflecting: sentinels.link(place))))
            """)
        let imported = try sandbox.strata(["layers", "import", crafted])
        try #require(imported.status == 0, "\(imported.stderr)")
        try expectRefused(sandbox, sentinels, place: place)
    }

    /// An update layer cannot plant a link where its own recipe mounts (the
    /// mount point is there while it runs), but it can at the output.
    @Test func aLinkPlantedAtTheOutputByAnUpdateLayerIsRefused() throws {
        let sandbox = try Sandbox()
        let sentinels = try Sentinels(in: sandbox.work)
        try hostileProfile(sandbox, sentinels: sentinels, image: "demo-base")
        try sandbox.editProfile {
            $0 + "\n[update]\nrun = \"mkdir -p /srv && ln -s \(sentinels.outputDirectory) /srv/out\"\nstate = \"readlink /srv/out\"\n"
        }
        let updated = try sandbox.strata(["update", sandbox.profile])
        try #require(updated.status == 0, "\(updated.stderr)")
        try expectRefused(sandbox, sentinels, place: "/srv/out")
    }

    /// The build exits 4 naming the planted link, tears down, and leaves the host alone.
    private func expectRefused(_ sandbox: Sandbox, _ sentinels: Sentinels, place: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try sandbox.build("hello")
        #expect(run.status == 4, "\(run.stdout) \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains("refuse to follow the link") && run.stderr.contains(place), "\(run.stderr)", sourceLocation: sourceLocation)
        try sandbox.expectTornDown(run, sourceLocation: sourceLocation)
        try sentinels.expectUntouched(sourceLocation: sourceLocation)
    }

    /// Builds hello in `sandbox` and checks that nothing left the root.
    private func expectContained(_ sandbox: Sandbox, _ sentinels: Sentinels) throws {
        // While the build's root is ready: every mount strata made is in its store.
        let pauseFile = sandbox.work + "/paused"
        let paused = try sandbox.start(sandbox.buildArguments("hello"),
                                       environment: ["STRATA_TEST_PAUSE_AT": "build", "STRATA_TEST_PAUSE_FILE": pauseFile])
        guard eventually(within: 60, { FileManager.default.fileExists(atPath: pauseFile) }) else {
            Issue.record("strata never reached the build: \(sandbox.finish(paused).stderr)")
            return
        }
        let mounts = try newMounts(of: paused.processIdentifier)
        kill(paused.processIdentifier, SIGKILL)
        _ = sandbox.finish(paused)
        #expect(!mounts.isEmpty)
        #expect(mounts.filter { !$0.hasPrefix(sandbox.store + "/") } == [], "strata mounted outside its store")

        let run = try sandbox.build("hello")
        #expect(run.status == 0, "\(run.stderr)")
        try sandbox.expectTornDown(run)
        try sentinels.expectUntouched()
        // The links led inside the root: the binds and the output are there.
        #expect(try String(contentsOfFile: sandbox.log + "/seen-file", encoding: .utf8) == "tool file\n")
        #expect(try String(contentsOfFile: sandbox.log + "/seen-dir", encoding: .utf8).contains("escape-probe"))
        #expect(try String(contentsOfFile: sandbox.log + "/seen-resolv", encoding: .utf8).isEmpty == false, "resolv.conf through its link is empty")
        #expect(try String(contentsOfFile: sandbox.work + "/out/artifact.txt", encoding: .utf8) == "artifact\n")
        // What leaves the root: no fifo or device node, no setuid bit (the copy is root's).
        var info = stat()
        #expect(stat(sandbox.work + "/out/suid", &info) == 0 && info.st_mode & 0o6000 == 0, "a setuid artifact reached the host")
        #expect(!FileManager.default.fileExists(atPath: sandbox.work + "/out/fifo"), "a fifo was copied out")

        // Root inside the root cannot leave it; the build user cannot become root.
        let install = try String(contentsOfFile: sandbox.log + "/install-probe", encoding: .utf8)
        #expect(install.contains("euid 0") && install.contains("chroot-escape contained"), "\(install)")
        let build = try String(contentsOfFile: sandbox.log + "/build-probe", encoding: .utf8)
        #expect(build.contains("chroot-escape contained") && !build.contains("euid 0"), "a setuid binary made the build user root: \(build)")
    }
}
