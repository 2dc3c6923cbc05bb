import Foundation
import Glibc
import StrataOS

/// The OCI distribution API for one repository: blob HEAD, POST + PUT
/// uploads, manifest PUT and GET, blob GET, with Basic or bearer-token
/// authentication negotiated from the registry's 401 challenges. Every
/// byte that comes back is checked against the digest it was asked by.
public final class RegistryClient {
    public let reference: RepositoryReference
    private let http: HTTPClient
    private let credentials: CredentialStore
    /// The Authorization header that last worked, sent up front from then on.
    private var authorization: String?
    private var triedCredentials = false

    /// Manifests and configs larger than this are refused, unread.
    static let documentLimit = 4 << 20

    public init(reference: RepositoryReference, credentials: CredentialStore, shouldStop: @escaping () -> Bool = { false }) throws(RegistryError) {
        self.reference = reference
        self.credentials = credentials
        do { http = try HTTPClient() } catch { throw RegistryError(.unavailable, error.description) }
        http.shouldStop = shouldStop
        http.caFile = credentials.environment["STRATA_REGISTRY_CA_FILE"]
    }

    // MARK: Blobs

    /// HEAD /v2/<name>/blobs/<digest>: whether the registry has the blob.
    public func blobExists(_ digest: String) throws(RegistryError) -> Bool {
        let response = try perform(HTTPRequest(method: "HEAD", url: "\(reference.apiBase)/blobs/\(digest)", followRedirects: true))
        if response.status == 404 { return false }
        try expect(response, [200], "check for blob \(digest)")
        return true
    }

    /// Uploads a blob unless the registry has it: POST to open an upload,
    /// PUT of the whole content with its digest. Returns false when skipped.
    @discardableResult
    public func uploadBlob(_ body: HTTPRequest.Body, digest: String) throws(RegistryError) -> Bool {
        if try blobExists(digest) { return false }
        let opened = try perform(HTTPRequest(method: "POST", url: "\(reference.apiBase)/blobs/uploads/"))
        try expect(opened, [202], "start the upload of blob \(digest)")
        guard let location = opened.header("location") else {
            throw RegistryError(.invalidContent, "\(reference.registry) opened an upload without a Location header; it does not follow the OCI distribution API")
        }
        var url = absolute(location)
        url += (url.contains("?") ? "&" : "?") + "digest=" + digest.replacingOccurrences(of: ":", with: "%3A")
        let put = try perform(HTTPRequest(method: "PUT", url: url, headers: [("Content-Type", "application/octet-stream")], body: body))
        try expect(put, [201], "upload blob \(digest)")
        return true
    }

    /// GET of a blob into a new file at `path`, hashing as it arrives. The
    /// file is removed unless its size and digest are those of `descriptor`.
    public func downloadBlob(_ descriptor: OCIDescriptor, to path: String) throws(RegistryError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            throw RegistryError(.unavailable, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var hash = HashingStream()
        var failure: String?
        let result = Result { () throws(RegistryError) -> HTTPResponse in
            try perform(HTTPRequest(method: "GET", url: "\(reference.apiBase)/blobs/\(descriptor.digest)", followRedirects: true)) { bytes in
                if hash.count + UInt64(bytes.count) > descriptor.size {
                    failure = "more than the \(descriptor.size) bytes its manifest names"
                    return false
                }
                hash.update(bytes)
                do { try FileChunks.writeAll(bytes, to: fd, path: path) } catch {
                    failure = "\(error)"
                    return false
                }
                return true
            }
        }
        close(fd)
        do throws(RegistryError) {
            if let failure { throw RegistryError(.invalidContent, "blob \(descriptor.digest) from \(reference): \(failure); nothing was stored") }
            let response = try result.get()
            if response.status == 404 {
                throw RegistryError(.notFound, "blob \(descriptor.digest) named by the manifest is missing from \(reference); push the layer again")
            }
            try expect(response, [200], "download blob \(descriptor.digest)")
            if hash.count != descriptor.size {
                throw RegistryError(.invalidContent, "blob \(descriptor.digest) from \(reference) is truncated: \(hash.count) of \(descriptor.size) bytes; nothing was stored")
            }
            let actual = hash.finish()
            if actual != descriptor.digest {
                throw RegistryError(.invalidContent, "blob \(descriptor.digest) from \(reference) has digest \(actual): the registry's copy is damaged or was tampered with; nothing was stored")
            }
        } catch {
            unlink(path)
            throw error
        }
    }

    /// A small blob (a config) read into memory and verified.
    public func fetchBlob(_ descriptor: OCIDescriptor) throws(RegistryError) -> [UInt8] {
        guard descriptor.size <= UInt64(Self.documentLimit) else {
            throw RegistryError(.invalidContent, "blob \(descriptor.digest) of \(reference) is \(descriptor.size) bytes, more than a config may be")
        }
        let response = try perform(HTTPRequest(method: "GET", url: "\(reference.apiBase)/blobs/\(descriptor.digest)", followRedirects: true))
        if response.status == 404 {
            throw RegistryError(.notFound, "blob \(descriptor.digest) named by the manifest is missing from \(reference); push the layer again")
        }
        try expect(response, [200], "download blob \(descriptor.digest)")
        let actual = HashingStream.digest(response.body)
        guard actual == descriptor.digest, UInt64(response.body.count) == descriptor.size else {
            throw RegistryError(.invalidContent, "blob \(descriptor.digest) from \(reference) has digest \(actual) (\(response.body.count) bytes): the registry's copy is damaged or was tampered with; nothing was stored")
        }
        return response.body
    }

    // MARK: Manifests

    /// HEAD /v2/<name>/manifests/<tag>.
    public func manifestExists(tag: String) throws(RegistryError) -> Bool {
        let response = try perform(HTTPRequest(method: "HEAD", url: "\(reference.apiBase)/manifests/\(tag)",
                                               headers: [("Accept", OCIMediaType.manifest)]))
        if response.status == 404 { return false }
        try expect(response, [200], "check for tag \(tag)")
        return true
    }

    /// PUT of an OCI image manifest under `tag`; returns its digest.
    @discardableResult
    public func putManifest(_ manifest: OCIManifest, tag: String) throws(RegistryError) -> String {
        let bytes = manifest.encoded()
        let response = try perform(HTTPRequest(method: "PUT", url: "\(reference.apiBase)/manifests/\(tag)",
                                               headers: [("Content-Type", OCIMediaType.manifest)], body: .bytes(bytes)))
        try expect(response, [201], "store the manifest of tag \(tag)")
        return HashingStream.digest(bytes)
    }

    /// The OCI image manifest under `tag`, or nil when the tag does not exist.
    public func fetchManifest(tag: String) throws(RegistryError) -> (manifest: OCIManifest, digest: String)? {
        let response = try perform(HTTPRequest(method: "GET", url: "\(reference.apiBase)/manifests/\(tag)",
                                               headers: [("Accept", OCIMediaType.manifest)]))
        if response.status == 404 { return nil }
        try expect(response, [200], "read the manifest of tag \(tag)")
        let where_ = reference.tagged(tag)
        guard response.body.count <= Self.documentLimit else {
            throw RegistryError(.invalidContent, "the manifest of \(where_) is larger than \(Self.documentLimit) bytes; refused")
        }
        let digest = HashingStream.digest(response.body)
        if let claimed = response.header("docker-content-digest"), claimed != digest {
            throw RegistryError(.invalidContent, "the manifest of \(where_) has digest \(digest), not \(claimed) as the registry says; refused")
        }
        let manifest: OCIManifest
        do { manifest = try JSONDecoder().decode(OCIManifest.self, from: Data(response.body)) } catch {
            throw RegistryError(.invalidContent, "the manifest of \(where_) is not an OCI image manifest (\(error)); was it pushed by strata?")
        }
        guard manifest.schemaVersion == 2, (manifest.mediaType ?? OCIMediaType.manifest) == OCIMediaType.manifest else {
            throw RegistryError(.invalidContent, "the manifest of \(where_) has media type \(manifest.mediaType ?? "none"); strata reads \(OCIMediaType.manifest) only")
        }
        for descriptor in [manifest.config] + manifest.layers where !OCIDescriptor.isValidDigest(descriptor.digest) {
            throw RegistryError(.invalidContent, "the manifest of \(where_) names the digest '\(descriptor.digest)'; strata reads sha256 digests only")
        }
        return (manifest, digest)
    }

    // MARK: Requests and authentication

    /// Sends a request with the current authorization; on a 401 challenge,
    /// authenticates as the challenge asks and sends it once more.
    private func perform(_ request: HTTPRequest, sink: ((UnsafeRawBufferPointer) -> Bool)? = nil) throws(RegistryError) -> HTTPResponse {
        var response = try send(request, authorization: authorization, sink: sink)
        if response.status == 401, let header = response.header("www-authenticate"), let challenge = AuthChallenge(header: header) {
            authorization = try authorize(challenge)
            response = try send(request, authorization: authorization, sink: sink)
        }
        if response.status == 401 || response.status == 403 {
            throw RegistryError(.unauthorized, "\(reference.registry) refused \(request.method) \(request.url) (\(response.status))\(Self.detail(response)); "
                + (triedCredentials ? "check the credentials" : "no credentials were found: set STRATA_REGISTRY_USERNAME and STRATA_REGISTRY_PASSWORD or log in with docker, podman or skopeo"))
        }
        return response
    }

    private func send(_ request: HTTPRequest, authorization: String?, sink: ((UnsafeRawBufferPointer) -> Bool)?) throws(RegistryError) -> HTTPResponse {
        var request = request
        if let authorization { request.headers.append(("Authorization", authorization)) }
        do {
            return try http.send(request, sink: sink)
        } catch {
            throw RegistryError(.unavailable, "could not talk to \(reference.registry): \(error); check that the registry runs and the address is right")
        }
    }

    /// The Authorization header a challenge asks for.
    private func authorize(_ challenge: AuthChallenge) throws(RegistryError) -> String {
        let found = try credentials.credentials(for: reference.registry)
        triedCredentials = found != nil
        switch challenge.scheme {
        case "basic":
            guard let found else {
                throw RegistryError(.unauthorized, "\(reference.registry) asks for a user name and password; set STRATA_REGISTRY_USERNAME and STRATA_REGISTRY_PASSWORD or log in with docker, podman or skopeo")
            }
            return found.basicAuthorization
        case "bearer":
            return "Bearer " + (try fetchToken(challenge, credentials: found))
        default:
            throw RegistryError(.unauthorized, "\(reference.registry) asks for '\(challenge.scheme)' authentication, which strata does not speak (it speaks Basic and Bearer)")
        }
    }

    /// GET realm?service=…&scope=… with the credentials, if any; the answer's
    /// `token` (or `access_token`) is the bearer token.
    private func fetchToken(_ challenge: AuthChallenge, credentials: RegistryCredentials?) throws(RegistryError) -> String {
        guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm) else {
            throw RegistryError(.unauthorized, "\(reference.registry) asks for a bearer token without saying where to get one (no realm)")
        }
        var query = components.queryItems ?? []
        if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        for scope in (challenge.parameters["scope"] ?? "").split(separator: " ") {
            query.append(URLQueryItem(name: "scope", value: String(scope)))
        }
        components.queryItems = query.isEmpty ? nil : query
        let url = components.string ?? realm
        var headers: [(name: String, value: String)] = []
        if let credentials { headers.append(("Authorization", credentials.basicAuthorization)) }
        let response: HTTPResponse
        do { response = try http.send(HTTPRequest(method: "GET", url: url, headers: headers, followRedirects: true)) } catch {
            throw RegistryError(.unavailable, "could not get a token for \(reference.registry): \(error)")
        }
        guard response.isSuccess else {
            throw RegistryError(.unauthorized, "the token service \(realm) refused (\(response.status))\(Self.detail(response)); "
                + (credentials.map { "check the credentials from \($0.source)" } ?? "no credentials were found: set STRATA_REGISTRY_USERNAME and STRATA_REGISTRY_PASSWORD or log in"))
        }
        let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        guard let token = (object?["token"] as? String) ?? (object?["access_token"] as? String), !token.isEmpty else {
            throw RegistryError(.unauthorized, "the token service \(realm) answered without a token")
        }
        return token
    }

    private func expect(_ response: HTTPResponse, _ statuses: Set<Int>, _ doing: String) throws(RegistryError) {
        if statuses.contains(response.status) { return }
        let message = "\(reference.registry) answered \(response.status) when asked to \(doing) in \(reference.repository)\(Self.detail(response))"
        switch response.status {
        case 500...: throw RegistryError(.unavailable, message + "; the registry failed: try again later")
        case 404: throw RegistryError(.notFound, message)
        default: throw RegistryError(.refused, message)
        }
    }

    /// The registry's own error codes and messages, when the body has them.
    static func detail(_ response: HTTPResponse) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let errors = object["errors"] as? [[String: Any]], !errors.isEmpty else { return "" }
        let text = errors.map { error in
            [error["code"] as? String, error["message"] as? String].compactMap { $0 }.joined(separator: ": ")
        }.joined(separator: "; ")
        return " (\(text))"
    }

    private func absolute(_ location: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        if location.hasPrefix("/") { return "\(reference.scheme)://\(reference.registry)\(location)" }
        return "\(reference.apiBase)/blobs/uploads/\(location)"
    }

}
