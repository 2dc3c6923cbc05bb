import Foundation
import Testing

/// The build runs chrooted in its own namespaces, as its own user, and can
/// reach nothing of the host but what the profile binds in.
@Suite(.needsRoot) struct IsolationTests {
    @Test func theBuildIsConfinedToItsRoot() throws {
        let sandbox = try Sandbox()
        let escape = sandbox.work + "/escaped"
        let script = """
            #!/bin/sh
            mkdir -p /build/out
            echo pwned > \(escape) 2>/dev/null || true
            mkdir -p \(sandbox.work) 2>/dev/null && echo pwned > \(escape) 2>/dev/null || true
            echo pwned > ../../../../../../escaped-too 2>/dev/null || true
            echo replaced > /srv/demo-repo/index 2>/dev/null && echo "repo writable" >> /build/out/report
            ls /sys/class/net > /build/out/interfaces
            id -u > /build/out/uid
            echo $$ > /build/out/pid
            hostname > /build/out/hostname
            echo discarded > /dev/null && head -c 4 /dev/zero | od -An -tx1 > /build/out/zero
            head -c 16 /dev/urandom | wc -c > /build/out/random
            ls /proc/self/fd/ > /dev/null && echo ok > /build/out/proc
            """
        try sandbox.writeBuildScript(script, for: "hello")
        let run = try sandbox.build("hello")
        #expect(run.status == 0, "\(run.stderr)")
        let out = sandbox.work + "/out/"
        #expect(!FileManager.default.fileExists(atPath: escape), "the build wrote to the host")
        #expect(!FileManager.default.fileExists(atPath: "/escaped-too"))
        #expect(!FileManager.default.fileExists(atPath: out + "report"), "a read-only [[mount]] was writable")
        #expect(try String(contentsOfFile: sandbox.work + "/repo/index", encoding: .utf8).contains("greet"))
        #expect(try String(contentsOfFile: out + "interfaces", encoding: .utf8) == "lo\n", "network = false must leave only loopback")
        #expect(try String(contentsOfFile: out + "uid", encoding: .utf8) == "1000\n", "build.user must run the build unprivileged")
        #expect(Int(try String(contentsOfFile: out + "pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 99 < 5,
                "the build must run in its own PID namespace")
        #expect(try String(contentsOfFile: out + "hostname", encoding: .utf8) == "strata\n")
        #expect(try String(contentsOfFile: out + "zero", encoding: .utf8).contains("00 00 00 00"), "/dev/null and /dev/zero must work")
        #expect(try String(contentsOfFile: out + "random", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "16")
        #expect(try String(contentsOfFile: out + "proc", encoding: .utf8) == "ok\n")
        try sandbox.expectTornDown(run)
    }

    @Test func networkTrueSharesTheHostNetwork() throws {
        let sandbox = try Sandbox()
        try sandbox.editProfile { $0.replacingOccurrences(of: "[build]\n", with: "[build]\nnetwork = true\n") }
        try sandbox.writeBuildScript("#!/bin/sh\nmkdir -p /build/out\nls /sys/class/net > /build/out/interfaces\n", for: "hello")
        let run = try sandbox.build("hello")
        #expect(run.status == 0, "\(run.stderr)")
        let hostInterfaces = try FileManager.default.contentsOfDirectory(atPath: "/sys/class/net").sorted()
        let seen = try String(contentsOfFile: sandbox.work + "/out/interfaces", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(seen.sorted() == hostInterfaces)
    }
}
