import CCurl
import Glibc

/// HTTP(S) over libcurl's easy interface: one handle, so that connections
/// are kept and reused between the requests of a push or a pull. Not for
/// use from more than one thread at a time.
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer
    /// Polled during transfers: returning true aborts the one under way.
    public var shouldStop: () -> Bool = { false }
    /// A CA bundle to trust instead of the system's (STRATA_REGISTRY_CA_FILE).
    public var caFile: String?

    private static let globalSetup: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public init() throws(HTTPError) {
        guard Self.globalSetup, let handle = curl_easy_init() else {
            throw HTTPError(method: "-", url: "-", reason: "libcurl could not be initialised")
        }
        self.handle = handle
    }

    deinit { curl_easy_cleanup(handle) }

    /// Sends the request. A successful response's body goes to `sink` when
    /// one is given (returning false from it aborts the transfer), otherwise
    /// into the response; error bodies are always kept, for the message.
    public func send(_ request: HTTPRequest, sink: ((UnsafeRawBufferPointer) -> Bool)? = nil) throws(HTTPError) -> HTTPResponse {
        var uploadFD: Int32 = -1
        var uploadBytes: [UInt8] = []
        var uploadSize = 0
        switch request.body {
        case .none: break
        case .bytes(let bytes):
            uploadBytes = bytes
            uploadSize = bytes.count
        case .file(let path, let size):
            uploadFD = open(path, O_RDONLY | O_CLOEXEC)
            if uploadFD < 0 {
                throw HTTPError(method: request.method, url: request.url, reason: "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            uploadSize = Int(size)
        }
        defer { if uploadFD >= 0 { close(uploadFD) } }
        let transfer = HTTPTransfer(sink: sink, uploadFD: uploadFD, uploadBytes: uploadBytes, shouldStop: shouldStop)
        let context = Unmanaged.passUnretained(transfer).toOpaque()

        curl_easy_reset(handle)
        var headerList: UnsafeMutablePointer<curl_slist>?
        // No "Expect: 100-continue" round trip before uploads.
        for header in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, header)
        }
        defer { curl_slist_free_all(headerList) }

        var setup = [
            strata_curl_set_string(handle, CURLOPT_URL, request.url),
            strata_curl_set_headers(handle, headerList),
            strata_curl_set_long(handle, CURLOPT_NOSIGNAL, 1),
            strata_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, 30),
            // A transfer slower than 1 byte/s for a minute is stalled.
            strata_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1),
            strata_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, 60),
            strata_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0),
            strata_curl_set_long(handle, CURLOPT_MAXREDIRS, 5),
            strata_curl_set_string(handle, CURLOPT_USERAGENT, "strata"),
            strata_curl_set_pointer(handle, CURLOPT_HEADERDATA, context),
            strata_curl_set_data_callback(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, context in
                let transfer = Unmanaged<HTTPTransfer>.fromOpaque(context!).takeUnretainedValue()
                let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
                transfer.receiveHeader(String(decoding: bytes, as: UTF8.self))
                return size * count
            },
            strata_curl_set_pointer(handle, CURLOPT_WRITEDATA, context),
            strata_curl_set_data_callback(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, context in
                let transfer = Unmanaged<HTTPTransfer>.fromOpaque(context!).takeUnretainedValue()
                return transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
            },
            strata_curl_set_long(handle, CURLOPT_NOPROGRESS, 0),
            strata_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context),
            strata_curl_set_progress_callback(handle) { context, _, _, _, _ in
                Unmanaged<HTTPTransfer>.fromOpaque(context!).takeUnretainedValue().shouldStop() ? 1 : 0
            },
        ]
        if let caFile { setup.append(strata_curl_set_string(handle, CURLOPT_CAINFO, caFile)) }
        switch request.method {
        case "GET": break
        case "HEAD": setup.append(strata_curl_set_long(handle, CURLOPT_NOBODY, 1))
        default:
            setup.append(strata_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
            // Every other method sends a body, empty or not, with its length.
            setup += [
                strata_curl_set_long(handle, CURLOPT_UPLOAD, 1),
                strata_curl_set_size(handle, CURLOPT_INFILESIZE_LARGE, uploadSize),
                strata_curl_set_pointer(handle, CURLOPT_READDATA, context),
                strata_curl_set_data_callback(handle, CURLOPT_READFUNCTION) { buffer, size, count, context in
                    let transfer = Unmanaged<HTTPTransfer>.fromOpaque(context!).takeUnretainedValue()
                    let target = UnsafeMutableRawBufferPointer(start: buffer, count: size * count)
                    return transfer.sendBody(into: target) ?? Int(CURL_READFUNC_ABORT)
                },
            ]
        }
        if let failed = setup.first(where: { $0 != CURLE_OK }) {
            throw HTTPError(method: request.method, url: request.url, reason: "libcurl setup: \(String(cString: curl_easy_strerror(failed)))")
        }
        let result = curl_easy_perform(handle)
        if result != CURLE_OK {
            let reason: String
            if result == CURLE_ABORTED_BY_CALLBACK {
                reason = "stopped"
            } else if result == CURLE_WRITE_ERROR || result == CURLE_READ_ERROR, let failure = transfer.failure {
                reason = failure
            } else {
                reason = String(cString: curl_easy_strerror(result))
            }
            throw HTTPError(method: request.method, url: request.url, reason: reason)
        }
        var code = 0
        _ = strata_curl_response_code(handle, &code)
        return HTTPResponse(status: code, headers: transfer.headers, body: transfer.body)
    }
}
