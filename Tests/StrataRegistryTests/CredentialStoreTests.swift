import Foundation
import Testing
@testable import StrataRegistry

@Suite struct CredentialStoreTests {
    private func withConfig(_ json: String, _ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "strata-credentials-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try json.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        try body(directory)
    }

    @Test func dockerConfigEntriesByHostWithOrWithoutSchemeAndPath() throws {
        let auth = Data("builder:pa:ss".utf8).base64EncodedString()
        try withConfig(#"{"auths": {"https://registry.example.com/v1/": {"auth": "\#(auth)"}, "127.0.0.1:5000": {"username": "u", "password": "p"}}}"#) { (directory: String) throws in
            let store = CredentialStore(environment: ["DOCKER_CONFIG": directory])
            let remote = try #require(try store.credentials(for: "registry.example.com"))
            #expect(remote.username == "builder" && remote.password == "pa:ss", "only the first colon separates")
            #expect(remote.source == directory + "/config.json")
            #expect(try store.credentials(for: "127.0.0.1:5000")?.password == "p")
            #expect(try store.credentials(for: "127.0.0.1:5001") == nil)
        }
    }

    @Test func theEnvironmentComesFirst() throws {
        try withConfig(#"{"auths": {"r.example.com": {"username": "file", "password": "x"}}}"#) { (directory: String) throws in
            let store = CredentialStore(environment: ["DOCKER_CONFIG": directory, "STRATA_REGISTRY_USERNAME": "env", "STRATA_REGISTRY_PASSWORD": "y"])
            #expect(try store.credentials(for: "r.example.com")?.username == "env")
        }
    }

    @Test func dockerHubAliases() throws {
        let auth = Data("hub:secret".utf8).base64EncodedString()
        try withConfig(#"{"auths": {"https://index.docker.io/v1/": {"auth": "\#(auth)"}}}"#) { (directory: String) throws in
            let store = CredentialStore(environment: ["DOCKER_CONFIG": directory])
            #expect(try store.credentials(for: "registry-1.docker.io")?.username == "hub")
        }
    }

    @Test func aBrokenFileIsNamed() throws {
        try withConfig("{ not json") { (directory: String) throws in
            #expect {
                try CredentialStore(environment: ["DOCKER_CONFIG": directory]).credentials(for: "r.example.com")
            } throws: { error in
                (error as? RegistryError)?.message.contains(directory + "/config.json") == true
            }
        }
        try withConfig(#"{"auths": {"r.example.com": {"auth": "bm8tY29sb24="}}}"#) { (directory: String) throws in
            #expect {
                try CredentialStore(environment: ["DOCKER_CONFIG": directory]).credentials(for: "r.example.com")
            } throws: { error in
                (error as? RegistryError)?.message.contains("auths.\"r.example.com\".auth is not base64 of USER:PASSWORD") == true
            }
        }
    }
}
