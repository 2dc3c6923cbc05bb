import Foundation
import Glibc
import Testing

/// Base images from directories and archives: the same tree, however it
/// arrives, gives the same rootfs and the same digest; unsafe archives are
/// refused and leave nothing behind.
@Suite(.needsRoot) struct ImageArchiveTests {
    /// A tree with every kind of entry strata must carry over, made with the
    /// ordinary tools.
    private func makeTree(_ root: String) throws {
        let script = """
            set -e
            cd "$1"
            mkdir -p dir/sub
            echo regular > dir/file
            ln dir/file hardlink
            ln -s dir/file symlink
            ln -s /etc/absolute-target dangling
            mkfifo -m 640 fifo
            mknod -m 600 chardev c 1 3
            mknod -m 660 blockdev b 7 0
            echo setuid > setuid && chmod 4755 setuid
            echo locked > locked && chmod 000 locked
            echo xattrs > xattrs
            setfattr -n user.comment -v hello xattrs
            setfattr -n trusted.strata-test -v t xattrs
            setfattr -n user.on-a-directory -v d dir
            chown 1234:5678 dir/file
            chown -h 42:43 symlink
            chmod 2710 dir/sub
            chmod 1777 dir
            # Times far from now, so that a time not restored cannot pass unseen.
            find . -depth -exec touch -h -d '2020-01-02 03:04:05.123456789' {} +
            """
        let run = try Sandbox.shell("/bin/sh", ["-c", script, "make-tree", root])
        try #require(run.status == 0, "\(run.stderr)")
    }

    /// Every entry of a tree: path, type, mode, owner, size, content, link
    /// target, device, xattrs, and which paths share an inode.
    private func describe(_ root: String) throws -> [String] {
        let script = """
            cd "$1" && find . -printf '%p %y %m %U:%G %s %l %Ts\\n' | sort
            find . -type f -exec sha256sum {} + | sort -k2
            find . -type b -o -type c | sort | xargs stat -c '%n %t:%T'
            find . -type f -links +1 -printf '%i %p\\n' | sort | awk '{print $2}' | tr '\\n' ' '; echo
            getfattr -R -h -d -m - . 2>/dev/null | grep -v '^#'
            """
        let run = try Sandbox.shell("/bin/sh", ["-c", script, "describe", root])
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout.split(separator: "\n").map(String.init)
    }

    private func digest(_ sandbox: Sandbox, _ name: String) throws -> String {
        try #require(try sandbox.strata(["--json", "image", "inspect", name]).json()["digest"] as? String)
    }

    @Test func aTreeImportsIdenticallyFromADirectoryATarGzAndATarZst() throws {
        let sandbox = try Sandbox()
        let tree = sandbox.work + "/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try makeTree(tree)
        let expected = try describe(tree)
        #expect(expected.contains { $0.contains("user.comment=\"hello\"") }, "getfattr must see the xattrs: \(expected)")

        // Archives from a producer no one here wrote: GNU tar.
        let tar = ["--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", tree]
        #expect(try Sandbox.shell("/bin/tar", tar + ["-czf", sandbox.work + "/tree.tar.gz", "."]).status == 0)
        #expect(try Sandbox.shell("/bin/tar", tar + ["--zstd", "-cf", sandbox.work + "/tree.tar.zst", "."]).status == 0)
        // A misleading name: the format is found from the content.
        try FileManager.default.moveItem(atPath: sandbox.work + "/tree.tar.zst", toPath: sandbox.work + "/tree.img")

        for (name, source) in [("from-dir", tree), ("from-gz", sandbox.work + "/tree.tar.gz"), ("from-zst", sandbox.work + "/tree.img")] {
            let run = try sandbox.strata(["image", "import", name, source])
            #expect(run.status == 0, "\(name): \(run.stderr)")
            #expect(try describe(sandbox.store + "/images/\(name)/rootfs") == expected, "\(name) differs from the tree")
        }
        let digests = try ["from-dir", "from-gz", "from-zst"].map { try digest(sandbox, $0) }
        #expect(Set(digests).count == 1, "digests differ: \(digests)")

        // Export, and import the export: the same tree and digest again, from stdin too.
        for compression in ["zstd", "gzip", "none"] {
            let file = sandbox.work + "/export.\(compression)"
            #expect(try sandbox.strata(["image", "export", "from-gz", "-o", file, "--compression", compression]).status == 0)
            let run = try Sandbox.shell("/bin/sh", ["-c", "STRATA_STORE=\"$1\" \"$2\" image import \"again-$3\" - < \"$4\"",
                                                    "import", sandbox.store, Sandbox.binary, compression, file])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try digest(sandbox, "again-\(compression)") == digests[0])
            #expect(try describe(sandbox.store + "/images/again-\(compression)/rootfs") == expected)
        }
        // Exporting the same image twice gives the same bytes. (Two imports of
        // one tree may differ in mtime precision: GNU tar keeps whole seconds.)
        #expect(try sandbox.strata(["image", "export", "from-dir", "-o", sandbox.work + "/a.tar.zst"]).status == 0)
        #expect(try sandbox.strata(["image", "export", "from-dir", "-o", sandbox.work + "/b.tar.zst"]).status == 0)
        #expect(FileManager.default.contentsEqual(atPath: sandbox.work + "/a.tar.zst", andPath: sandbox.work + "/b.tar.zst"))
    }

    @Test(arguments: [
        ("dotdot", "'../etc/passwd'", "contains '..'"),
        ("absolute", "'/etc/passwd'", "absolute path"),
        ("through-symlink", "'link/etc/passwd'", "goes through the symlink 'link'"),
        ("overlay-xattr", "'dir/'", "trusted.overlay.opaque"),
        ("user-overlay-xattr", "'file'", "user.overlay.redirect"),
        ("truncated", "'big'", "truncated"),
    ])
    func unsafeArchivesAreRefusedAndLeaveNothing(kind: String, entry: String, reason: String) throws {
        let sandbox = try Sandbox()
        let archive = sandbox.work + "/\(kind).tar"
        let script = """
            import io, sys, tarfile
            kind, path = sys.argv[1], sys.argv[2]
            def add(t, name, data=b"x", **kw):
                info = tarfile.TarInfo(name); info.size = len(data)
                for key, value in kw.items(): setattr(info, key, value)
                t.addfile(info, io.BytesIO(data))
            with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
                add(t, "fine")
                if kind == "dotdot": add(t, "../etc/passwd")
                if kind == "absolute": add(t, "/etc/passwd")
                if kind == "through-symlink":
                    link = tarfile.TarInfo("link"); link.type = tarfile.SYMTYPE; link.linkname = "/"; t.addfile(link)
                    add(t, "link/etc/passwd")
                if kind == "overlay-xattr":
                    d = tarfile.TarInfo("dir"); d.type = tarfile.DIRTYPE
                    d.pax_headers = {"SCHILY.xattr.trusted.overlay.opaque": "y"}; t.addfile(d)
                if kind == "user-overlay-xattr":
                    add(t, "file", pax_headers={"SCHILY.xattr.user.overlay.redirect": "/etc"})
                if kind == "truncated":
                    add(t, "big", data=b"y" * 100000)
            if kind == "truncated":
                data = open(path, "rb").read()
                open(path, "wb").write(data[:60000])
            """
        let made = try Sandbox.shell("/usr/bin/python3", ["-c", script, kind, archive])
        try #require(made.status == 0, "\(made.stderr)")
        let before = sandbox.entries(sandbox.store + "/images")
        let run = try sandbox.strata(["image", "import", "evil", archive])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(archive))
        #expect(run.stderr.contains(entry), "\(run.stderr)")
        #expect(run.stderr.lowercased().contains(reason.lowercased()), "\(run.stderr)")
        #expect(sandbox.entries(sandbox.store + "/images") == before, "the refused import left something")
        #expect(!FileManager.default.fileExists(atPath: "/etc/passwd-strata-test"))
    }

    @Test func somethingThatIsNotAnArchiveIsRefused() throws {
        let sandbox = try Sandbox()
        let run = try sandbox.strata(["image", "import", "text", sandbox.profile])
        #expect(run.status == 2)
        #expect(run.stderr.contains("Unrecognized archive format"))
        #expect(sandbox.entries(sandbox.store + "/images") == ["demo-base"])
    }
}
