"""A small notes web service: POST /notes adds a note (the body's text), GET /notes lists them."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

notes = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/notes":
            self.reply(200, notes)
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        text = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode().strip()
        if self.path != "/notes":
            self.reply(404, {"error": "not found"})
        elif not text:
            self.reply(400, {"error": "a note needs text"})
        else:
            notes.append(text)
            self.reply(201, {"id": len(notes), "text": text})

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), Handler).serve_forever()
