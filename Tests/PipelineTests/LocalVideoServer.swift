import Foundation
import TestSupport
import XCTest

/// A tiny Python `http.server` on 127.0.0.1 serving the real MS-ASL videos read-only, with failure
/// modes chosen by the first path segment:
/// `/videos/F` normal (Range supported), `/missing/F` 404, `/slow/F` answers after `slowSeconds`,
/// `/drop/F` sends half the body then drops the connection (every time),
/// `/flaky/F` drops the 2nd request for that path mid-file (yt-dlp's 1st request is its probe).
final class LocalVideoServer {
    let process: Process
    let port: Int

    static let script = #"""
import http.server, os, re, socket, sys, threading, time
ROOT = sys.argv[1]
SLOW = float(sys.argv[2])
hits = {}
lock = threading.Lock()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_HEAD(self): self.answer(head=True)
    def do_GET(self): self.answer(head=False)
    def answer(self, head):
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) != 2:
            return self.send_error(404)
        mode, name = parts
        with lock:
            hits[self.path] = hits.get(self.path, 0) + 1
            count = hits[self.path]
        path = os.path.join(ROOT, os.path.basename(name))
        if mode == "missing" or not os.path.isfile(path):
            return self.send_error(404, "Not Found")
        if mode == "slow":
            time.sleep(SLOW)
        with open(path, "rb") as f:
            data = f.read()
        start, end, status = 0, len(data) - 1, 200
        m = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if m:
            start = int(m.group(1)); end = int(m.group(2)) if m.group(2) else end; status = 206
        body = data[start:end + 1]
        self.send_response(status)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, len(data)))
        self.end_headers()
        if head:
            return
        if mode == "drop" or (mode == "flaky" and count == 2):
            self.wfile.write(body[:len(body) // 2]); self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR); self.close_connection = True
            return
        self.wfile.write(body)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

    init(root: URL, slowSeconds: Double = 30) throws {
        do {
            (process, port) = try ExternalTool.startServer(Self.script, [root.path, String(slowSeconds)])
        } catch {
            throw XCTSkip("could not start the local HTTP server (python3): \(error)")
        }
    }

    func url(_ mode: String, _ file: String) -> String { "http://127.0.0.1:\(port)/\(mode)/\(file)" }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    deinit { stop() }
}
