import Foundation
import Testing

/// `layers export` and `layers import`: OCI layer blobs that carry deletions
/// as whiteouts, round trips that change nothing, and imports that refuse
/// untrusted content. Real overlay mounts; needs root.
@Suite(.needsRoot) struct LayerExchangeTests {
    /// A sandbox whose deps install deletes a file and a directory of the
    /// base, replaces a directory with a file, empties and refills another
    /// (an opaque directory), and adds a setuid file, a hard link, a symlink
    /// and a fifo. Returns the sandbox, the layer key and the base rootfs.
    static func layerWithDeletions() throws -> (Sandbox, String, String) {
        let sandbox = try Sandbox()
        let rootfs = sandbox.work + "/rootfs"
        for directory in ["usr/share/doomed/sub", "opt/replaced", "var/opaque"] {
            try FileManager.default.createDirectory(atPath: rootfs + "/" + directory, withIntermediateDirectories: true)
        }
        for file in ["etc/doomed.conf", "usr/share/doomed/sub/a", "opt/replaced/x", "var/opaque/old1", "var/opaque/old2"] {
            try "base \(file)\n".write(toFile: rootfs + "/" + file, atomically: false, encoding: .utf8)
        }
        let imported = try sandbox.strata(["image", "import", "exchange-base", rootfs])
        #expect(imported.status == 0, "\(imported.stderr)")
        let install = [
            "rm /etc/doomed.conf", "rm -r /usr/share/doomed", "rm -r /opt/replaced", "echo file > /opt/replaced",
            "rm -r /var/opaque", "mkdir /var/opaque", "echo new > /var/opaque/new",
            "echo tool > /usr/bin/tool", "chmod 4755 /usr/bin/tool", "ln /usr/bin/tool /usr/bin/tool2",
            "ln -s tool /usr/bin/tool-link", "mkfifo /var/fifo", "/srv/demo-repo/bin/install",
        ].joined(separator: " && ")
        try sandbox.editProfile {
            $0.replacingOccurrences(of: #"image = "demo-base""#, with: #"image = "exchange-base""#)
                .replacingOccurrences(of: #"install = "echo run >> /srv/log/installs && /srv/demo-repo/bin/install""#,
                                      with: "install = '''\(install)'''")
        }
        let key = try RegistryTests.builtHello(sandbox)
        return (sandbox, key, rootfs)
    }

    static func listTree(_ path: String) throws -> [String] {
        let run = try Sandbox.shell("/usr/bin/python3", [Sandbox.repository + "/Tests/Support/list-tree.py", path])
        try #require(run.status == 0, "list-tree.py \(path): \(run.stderr)")
        return run.stdout.split(separator: "\n").map(String.init)
    }

    /// What a read-only overlay of `lowers` (topmost first) shows, mounted
    /// in a mount namespace of its own that ends with the listing process.
    static func mergedView(_ lowers: [String], in work: String) throws -> [String] {
        let point = work + "/merged-" + UUID().uuidString.prefix(6)
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: point) }
        let script = "mount -t overlay overlay -o ro,lowerdir=\(lowers.joined(separator: ":")),redirect_dir=off,metacopy=off,index=off \(point)"
            + " && exec python3 \(Sandbox.repository)/Tests/Support/list-tree.py \(point)"
        let run = try Sandbox.shell("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script])
        try #require(run.status == 0, "merged view: \(run.stderr)")
        return run.stdout.split(separator: "\n").map(String.init)
    }

    @Test func anExportedLayerImportsToTheSameMergedView() throws {
        let (sandbox, key, rootfs) = try Self.layerWithDeletions()
        let upper = sandbox.store + "/layers/" + key + "/upper"
        let image = sandbox.store + "/images/exchange-base/rootfs"
        let rawBefore = try Self.listTree(upper)
        #expect(rawBefore.contains { $0.hasPrefix("usr/share/doomed c--------- 0:0 ") && $0.hasSuffix("dev=0:0") }, "the install made a whiteout")
        #expect(rawBefore.contains { $0.hasPrefix("var/opaque d") && $0.contains("trusted.overlay.opaque=79") }, "and an opaque directory")
        let mergedBefore = try Self.mergedView([upper, image], in: sandbox.work)
        #expect(!mergedBefore.contains { $0.hasPrefix("usr/share/doomed") || $0.hasPrefix("etc/doomed.conf") || $0.hasPrefix("var/opaque/old") })
        #expect(mergedBefore.contains { $0.hasPrefix("opt/replaced -rw-r--r--") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: rootfs + "/var/opaque").count == 2)

        let blob = sandbox.work + "/deps.tar.zst"
        let exported = try sandbox.strata(["--json", "layers", "export", key, "-o", blob])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try exported.json()["media_type"] as? String == "application/vnd.oci.image.layer.v1.tar+zstd")
        let listing = try Sandbox.shell("/usr/bin/tar", ["--zstd", "-tvf", blob])
        #expect(listing.status == 0, "\(listing.stderr)")
        for marker in ["usr/share/.wh.doomed", "etc/.wh.doomed.conf", "var/opaque/.wh..wh..opq"] {
            #expect(listing.stdout.contains(marker), "no \(marker) in the layer: \(listing.stdout)")
        }
        #expect(!listing.stdout.split(separator: "\n").contains { $0.hasPrefix("c") || $0.hasPrefix("b") }, "no device nodes")

        // Reproducible: a second export writes the same bytes.
        let again = sandbox.work + "/again.tar.zst"
        #expect(try sandbox.strata(["layers", "export", key, "-o", again]).status == 0)
        #expect(FileManager.default.contentsEqual(atPath: blob, andPath: again))

        let removed = try sandbox.strata(["layers", "rm", key])
        #expect(removed.status == 0, "\(removed.stderr)")
        let imported = try sandbox.strata(["--json", "layers", "import", blob])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try imported.json()["imported"] as? Bool == true)
        let rawAfter = try Self.listTree(upper)
        #expect(rawAfter == rawBefore, "the upper differs: \(Self.difference(rawBefore, rawAfter))")
        let mergedAfter = try Self.mergedView([upper, image], in: sandbox.work)
        #expect(mergedAfter == mergedBefore, "the merged view differs: \(Self.difference(mergedBefore, mergedAfter))")

        let twice = try sandbox.strata(["--json", "layers", "import", blob])
        #expect(try twice.json()["imported"] as? Bool == false)
        let built = try sandbox.build("hello")
        #expect(try RegistryTests.layer(built, role: "deps")["origin"] as? String == "store")
        #expect(sandbox.installRuns == 0, "this profile's install does not count; the import was reused")
    }

    @Test(arguments: [
        ("mknod /var/null c 1 3", "var/null", "is a device node"),
        ("touch /etc/.wh.passwd", "etc/.wh.passwd", "reads as a whiteout"),
    ])
    func whatAnOCILayerCannotCarryIsRefusedAtExport(command: String, path: String, reason: String) throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile {
            // A device node can be made only by host root: the one kind of
            // installer `[build] userns = false` is for.
            $0.replacingOccurrences(of: #"install = "echo run >> /srv/log/installs && "#, with: #"install = "\#(command) && "#)
                .replacingOccurrences(of: "[build]\n", with: "[build]\nuserns = false\n")
        }
        let key = try RegistryTests.builtHello(sandbox)
        let blob = sandbox.work + "/refused.tar.zst"
        let run = try sandbox.strata(["layers", "export", key, "-o", blob])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("entry '\(path)'") && run.stderr.contains(reason), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: blob) && !FileManager.default.fileExists(atPath: blob + ".json"),
                "a refused export leaves no file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.work).allSatisfy { !$0.hasPrefix("refused.tar.zst") })
    }

    /// Lines only in `before` (-) and only in `after` (+).
    static func difference(_ before: [String], _ after: [String]) -> String {
        let old = Set(before), new = Set(after)
        return (before.filter { !new.contains($0) }.map { "- " + $0 } + after.filter { !old.contains($0) }.map { "+ " + $0 })
            .joined(separator: "\n")
    }

    /// Writes a crafted uncompressed layer with Python's tarfile and a
    /// description that is the real one with the blob's digests.
    static func craft(_ sandbox: Sandbox, description: [String: Any], name: String, python: String) throws -> String {
        let blob = sandbox.work + "/" + name + ".tar"
        let script = """
            import hashlib, io, tarfile
            out = tarfile.open(\(String(reflecting: blob)), "w", format=tarfile.PAX_FORMAT)
            def add(name, kind=tarfile.REGTYPE, data=b"", **extra):
                info = tarfile.TarInfo(name); info.type = kind; info.size = len(data)
                for key, value in extra.items(): setattr(info, key, value)
                out.addfile(info, io.BytesIO(data) if data else None)
            \(python)
            out.close()
            print("sha256:" + hashlib.sha256(open(\(String(reflecting: blob)), "rb").read()).hexdigest())
            """
        let run = try Sandbox.shell("/usr/bin/python3", ["-c", script])
        try #require(run.status == 0, "crafting \(name): \(run.stderr)")
        let digest = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var crafted = description
        crafted["digest"] = digest
        crafted["diff_id"] = digest
        crafted["media_type"] = "application/vnd.oci.image.layer.v1.tar"
        crafted["size"] = (try FileManager.default.attributesOfItem(atPath: blob)[.size] as? NSNumber)?.intValue
        try JSONSerialization.data(withJSONObject: crafted).write(to: URL(fileURLWithPath: blob + ".json"))
        return blob
    }

    @Test func importRefusesUntrustedContentAndLeavesNothing() throws {
        let sandbox = try Sandbox()
        let key = try RegistryTests.builtHello(sandbox)
        let blob = sandbox.work + "/real.tar.zst"
        #expect(try sandbox.strata(["layers", "export", key, "-o", blob]).status == 0)
        let description = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: blob + ".json"))) as? [String: Any])
        #expect(try sandbox.strata(["layers", "rm", key]).status == 0)

        let cases: [(name: String, python: String, message: String)] = [
            ("dotdot", #"add("usr/../../escape", data=b"x")"#, "contains '..'"),
            ("absolute", #"add("/etc/evil", data=b"x")"#, "absolute path"),
            ("device", #"add("dev/mem", tarfile.CHRTYPE, devmajor=1, devminor=1)"#, "device node (1:1)"),
            ("block", #"add("dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0)"#, "device node (8:0)"),
            ("redirect", #"add("usr", tarfile.DIRTYPE, pax_headers={"SCHILY.xattr.trusted.overlay.redirect": "/etc"})"#, "trusted.overlay.redirect"),
            ("metacopy", #"add("usr/bin/x", data=b"x", pax_headers={"SCHILY.xattr.trusted.overlay.metacopy": ""})"#, "trusted.overlay.metacopy"),
            ("through-symlink", #"add("link", tarfile.SYMTYPE, linkname="/etc"); add("link/passwd", data=b"x")"#, "goes through the symlink"),
            ("whiteout-dotdot", #"add("usr/.wh..", data=b"")"#, "whiteout of '.'"),
            ("hardlink-out", #"add("x", tarfile.LNKTYPE, linkname="../../etc/shadow")"#, "contains '..'"),
        ]
        for (name, python, message) in cases {
            let crafted = try Self.craft(sandbox, description: description, name: name, python: python)
            let run = try sandbox.strata(["layers", "import", crafted])
            #expect(run.status == 2, "\(name): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(name): '\(message)' not in \(run.stderr)")
            #expect(sandbox.layerDirectories(in: sandbox.store) == [], "\(name) left \(sandbox.layerDirectories(in: sandbox.store))")
        }

        // A blob that is not the one described, and a description whose inputs were altered.
        var wrongDigest = description
        wrongDigest["digest"] = "sha256:" + String(repeating: "0", count: 64)
        try JSONSerialization.data(withJSONObject: wrongDigest).write(to: URL(fileURLWithPath: sandbox.work + "/wrong.json"))
        let mismatch = try sandbox.strata(["layers", "import", blob, "--description", sandbox.work + "/wrong.json"])
        #expect(mismatch.status == 2)
        #expect(mismatch.stderr.contains("tampered"), "\(mismatch.stderr)")
        var altered = description
        var inputs = try #require(altered["inputs"] as? [String: Any])
        inputs["arch"] = "riscv64"
        altered["inputs"] = inputs
        try JSONSerialization.data(withJSONObject: altered).write(to: URL(fileURLWithPath: sandbox.work + "/altered.json"))
        let forged = try sandbox.strata(["layers", "import", blob, "--description", sandbox.work + "/altered.json"])
        #expect(forged.status == 2)
        #expect(forged.stderr.contains("hashes to"), "\(forged.stderr)")
        #expect(sandbox.layerDirectories(in: sandbox.store) == [])

        // The genuine pair still imports.
        let genuine = try sandbox.strata(["layers", "import", blob])
        #expect(genuine.status == 0, "\(genuine.stderr)")
        #expect(sandbox.layerDirectories(in: sandbox.store) == [key])
    }
}
