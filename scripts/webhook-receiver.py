#!/usr/bin/env python3
"""A webhook receiver for the service-recovery walk-through: listens on
127.0.0.1:PORT, checks each delivery's Standard Webhooks signature with the
hook's secret (given as the second argument, whsec_...), and prints one JSON
line per delivery with the time it arrived (ms since the Unix epoch)."""

import base64
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(sys.argv[1])
SECRET = base64.b64decode(sys.argv[2].removeprefix("whsec_")) if len(sys.argv) > 2 else None


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        arrived = int(time.time() * 1000)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        wid = self.headers.get("webhook-id", "")
        ts = self.headers.get("webhook-timestamp", "")
        signed = f"{wid}.{ts}.".encode() + body
        verified = None
        if SECRET is not None:
            expected = base64.b64encode(hmac.new(SECRET, signed, hashlib.sha256).digest()).decode()
            sigs = [s.split(",", 1)[1] for s in self.headers.get("webhook-signature", "").split() if s.startswith("v1,")]
            verified = any(hmac.compare_digest(expected, s) for s in sigs)
        print(json.dumps({"arrived_ms": arrived, "webhook_id": wid, "verified": verified,
                          "body": json.loads(body or b"null")}), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), Receiver).serve_forever()
