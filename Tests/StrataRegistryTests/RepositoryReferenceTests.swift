import Testing
@testable import StrataRegistry

@Suite struct RepositoryReferenceTests {
    @Test func hostsPortsAndSchemes() throws {
        let remote = try RepositoryReference(parsing: "registry.example.com/strata/cache")
        #expect(remote.registry == "registry.example.com" && remote.repository == "strata/cache" && remote.scheme == "https")
        #expect(remote.apiBase == "https://registry.example.com/v2/strata/cache")

        let local = try RepositoryReference(parsing: "127.0.0.1:5000/strata/cache")
        #expect(local.scheme == "http", "loopback registries speak plain HTTP, as docker assumes")
        #expect(try RepositoryReference(parsing: "localhost:5000/x").scheme == "http")
        #expect(try RepositoryReference(parsing: "https://127.0.0.1:5000/x").scheme == "https")
        #expect(try RepositoryReference(parsing: "http://build-cache.lan:5000/x").scheme == "http")
        #expect(local.tagged("abc") == "127.0.0.1:5000/strata/cache:abc")
    }

    @Test func dockerHubNamesAsDockerReadsThem() throws {
        let short = try RepositoryReference(parsing: "strata/cache")
        #expect(short.registry == "registry-1.docker.io" && short.repository == "strata/cache")
        #expect(try RepositoryReference(parsing: "cache").repository == "library/cache")
        #expect(try RepositoryReference(parsing: "docker.io/strata/cache").registry == "registry-1.docker.io")
    }

    @Test(arguments: [
        ("127.0.0.1:5000/strata/cache:latest", "without a tag"),
        ("127.0.0.1:5000/strata/cache@sha256:00", "without a tag"),
        ("127.0.0.1:5000", "no repository"),
        ("127.0.0.1:5000/Strata", "not a valid repository name part"),
        ("127.0.0.1:5000//x", "expected HOST[:PORT]/REPOSITORY"),
    ])
    func badReferencesSayWhatIsWrong(text: String, words: String) {
        #expect {
            try RepositoryReference(parsing: text)
        } throws: { error in
            guard let error = error as? RegistryError else { return false }
            return error.kind == .invalidInput && error.message.contains(words) && error.message.contains(text)
        }
    }
}

@Suite struct AuthChallengeTests {
    @Test func bearerWithQuotedCommas() throws {
        let challenge = try #require(AuthChallenge(header:
            #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:strata/cache:pull,push""#))
        #expect(challenge.scheme == "bearer")
        #expect(challenge.parameters == ["realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                                         "scope": "repository:strata/cache:pull,push"])
    }

    @Test func basic() throws {
        let challenge = try #require(AuthChallenge(header: #"Basic realm="Registry Realm""#))
        #expect(challenge.scheme == "basic" && challenge.parameters["realm"] == "Registry Realm")
    }
}
