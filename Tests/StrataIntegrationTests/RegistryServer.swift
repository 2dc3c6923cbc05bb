import Foundation
import Glibc
import Testing

/// A real OCI registry (Debian's docker-registry, the CNCF distribution
/// server) on 127.0.0.1 with its storage in a temporary folder, run in the
/// foreground for one test and stopped, by its pid, when the test ends.
final class RegistryServer {
    let storage: String
    let port: Int
    private let process: Process

    /// With `tls`, a self-signed certificate for 127.0.0.1, in this file.
    var certificate: String { storage + "/certificate.pem" }

    /// `htpasswd`: a user and password to demand, with Basic authentication.
    /// `tls`: HTTPS only, with a certificate made for this registry.
    init(in work: String, htpasswd: (user: String, password: String)? = nil, tls: Bool = false) throws {
        storage = work + "/registry-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: storage + "/data", withIntermediateDirectories: true)
        port = try freePort()
        var config = """
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: \(storage)/data
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)

            """
        if let htpasswd {
            let hashed = try Sandbox.shell("/usr/bin/htpasswd", ["-Bbn", htpasswd.user, htpasswd.password])
            try #require(hashed.status == 0, "htpasswd failed: \(hashed.stderr)")
            try hashed.stdout.write(toFile: storage + "/htpasswd", atomically: true, encoding: .utf8)
            config += "auth:\n  htpasswd:\n    realm: strata-test\n    path: \(storage)/htpasswd\n"
        }
        if tls {
            let made = try Sandbox.shell("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", storage + "/key.pem", "-out", storage + "/certificate.pem"])
            try #require(made.status == 0, "openssl failed: \(made.stderr)")
            config += "  tls:\n    certificate: \(storage)/certificate.pem\n    key: \(storage)/key.pem\n"
        }
        try config.write(toFile: storage + "/config.yml", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
        process.arguments = ["serve", storage + "/config.yml"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/null"))
        let log = storage + "/log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        let port = self.port
        guard eventually(within: 20, { canConnect(port: port) }) else {
            stop()
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw RegistryTestError("docker-registry did not listen on 127.0.0.1:\(port): \(text)")
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: storage)
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The repository strata pushes to.
    var repository: String { "127.0.0.1:\(port)/strata/cache" }

    /// Where the registry keeps a blob's bytes.
    func blobFile(_ digest: String) -> String {
        let hex = digest.replacingOccurrences(of: "sha256:", with: "")
        return "\(storage)/data/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }
}

/// The fault-injecting proxy of Tests/Support/registry-proxy.py in front of
/// a registry; stopped by its pid when the test ends.
final class RegistryProxy {
    let port: Int
    private let process: Process

    init(upstream: RegistryServer, mode: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Sandbox.repository + "/Tests/Support/registry-proxy.py", String(upstream.port)] + mode
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var line = Data()
        while !line.contains(10) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw RegistryTestError("registry-proxy.py printed no port")
        }
        self.port = port
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var repository: String { "127.0.0.1:\(port)/strata/cache" }
}

struct RegistryTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A TCP port nobody listens on now, chosen by the kernel.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw RegistryTestError("cannot find a free port: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
