#!/usr/bin/env python3
"""A test peer between strata and a real registry that misbehaves on request.

Usage: registry-proxy.py UPSTREAM_PORT MODE [ARG]
  pass                    forward everything
  fail-blob-get N         answer 500 to every blob GET after the first N
  truncate-upload         forward only half of each blob PUT's body
  cut-blob-get            send half of each blob GET's body, then close
  bearer USER:PASSWORD    demand a bearer token, issued by /token for USER:PASSWORD
Prints the port it listens on (127.0.0.1, chosen by the kernel), then serves
until terminated. Written for strata's tests only.
"""
import base64
import http.client
import http.server
import secrets
import signal
import sys
import threading

# The test runner may have SIGTERM blocked, and children inherit that.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])

UPSTREAM = int(sys.argv[1])
MODE = sys.argv[2]
ARG = sys.argv[3] if len(sys.argv) > 3 else None
TOKEN = secrets.token_hex(16)
blob_gets = 0
lock = threading.Lock()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        global blob_gets
        data = self.body()
        is_blob_get = self.command == "GET" and "/blobs/sha256:" in self.path
        if MODE == "bearer":
            if self.path.startswith("/token"):
                expected = "Basic " + base64.b64encode(ARG.encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}')
                return self.reply(200, ('{"token":"%s"}' % TOKEN).encode(), [("Content-Type", "application/json")])
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                host = self.headers.get("Host")
                challenge = 'Bearer realm="http://%s/token",service="test-registry",scope="repository:strata/cache:pull,push"' % host
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                                  [("WWW-Authenticate", challenge), ("Content-Type", "application/json")])
        if MODE == "fail-blob-get" and is_blob_get:
            with lock:
                blob_gets += 1
                failing = blob_gets > int(ARG)
            if failing:
                return self.reply(500, b'{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}',
                                  [("Content-Type", "application/json")])
        if MODE == "truncate-upload" and self.command == "PUT" and "/blobs/uploads/" in self.path:
            data = data[: len(data) // 2]
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("content-length", "authorization", "connection")}
        headers["Content-Length"] = str(len(data))
        upstream.request(self.command, self.path, body=data if self.command not in ("GET", "HEAD") else None, headers=headers)
        response = upstream.getresponse()
        payload = response.read() if self.command != "HEAD" else b""
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        length = response.getheader("Content-Length") if self.command == "HEAD" else str(len(payload))
        self.send_header("Content-Length", length or "0")
        if MODE == "cut-blob-get" and is_blob_get and response.status == 200:
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        upstream.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
print(server.server_address[1], flush=True)
server.serve_forever()
