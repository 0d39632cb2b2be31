#!/usr/bin/env python3
"""A stand-in for the Graph API's media endpoints (spec §A.11), for tests on 127.0.0.1.

    graph_standin.py --token T --media ID=PATH[:MIME] ... [--expire-first-url] [--port 0]

Prints "port=<n>" once listening, then serves until --timeout seconds have passed (default
120) or it is killed.

Wire format, as Meta's:
  GET /<anything>/<media-id>[?phone_number_id=…]   (also /<media-id>)
      Authorization: Bearer T  → 200 {"messaging_product": "whatsapp", "url": …, "mime_type": …,
                                      "sha256": …, "file_size": "<bytes, as a string>", "id": …}
      wrong or no token        → 401 {"error": {"message": …, "type": "OAuthException", "code": 190}}
      unknown id               → 404 {"error": {…, "code": 100}}
  GET <url> (/download/<media-id>/<nonce>)
      Authorization: Bearer T  → 200 the file's bytes (application/octet-stream… or its MIME)
      otherwise                → 401
      --expire-first-url: the first url handed out for each media id answers 404 (expired), so
      a client must ask for the metadata again.
  GET /_stats → {"metadata": n, "download": n, "unauthorized": n, "expired": n} (no token
      needed; for tests that check a retry happened).

Options for tests of the client's checks: --sha256 hex|base64 (how the hash is written,
default hex), --bad-hash (announce the hash of other bytes), --bad-size (announce one byte
more than the file has).
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


def parse_media(spec):
    media_id, sep, rest = spec.partition("=")
    if not sep or not media_id or not rest:
        raise argparse.ArgumentTypeError(f"--media wants ID=PATH[:MIME], got {spec!r}")
    path, mime = rest, "application/octet-stream"
    head, colon, tail = rest.rpartition(":")
    if colon and "/" in tail and head:
        path, mime = head, tail
    if not os.path.isfile(path):
        raise argparse.ArgumentTypeError(f"--media {media_id}: no such file {path!r}")
    return media_id, path, mime


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--token", required=True)
    ap.add_argument("--media", action="append", type=parse_media, default=[])
    ap.add_argument("--expire-first-url", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=120.0, help="stop after this many seconds")
    ap.add_argument("--sha256", choices=["hex", "base64"], default="hex")
    ap.add_argument("--bad-hash", action="store_true")
    ap.add_argument("--bad-size", action="store_true")
    args = ap.parse_args()

    media = {}
    for media_id, path, mime in args.media:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                h.update(chunk)
        digest = hashlib.sha256(b"other bytes").digest() if args.bad_hash else h.digest()
        media[media_id] = {
            "path": path,
            "mime": mime,
            "size": os.path.getsize(path),
            "sha256": digest.hex() if args.sha256 == "hex" else base64.b64encode(digest).decode(),
        }
    lock = threading.Lock()
    stats = {"metadata": 0, "download": 0, "unauthorized": 0, "expired": 0}
    nonces = {}  # nonce -> (media id, expired?)
    issued = set()  # media ids whose first url was handed out

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # quiet: tests read stdout for the port only
            pass

        def send_json(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def authorized(self):
            if self.headers.get("Authorization") == f"Bearer {args.token}":
                return True
            with lock:
                stats["unauthorized"] += 1
            self.send_json(401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                           "code": 190}})
            return False

        def do_GET(self):
            parts = [p for p in urlsplit(self.path).path.split("/") if p]
            if parts == ["_stats"]:
                with lock:
                    return self.send_json(200, dict(stats))
            if len(parts) == 3 and parts[0] == "download":
                return self.download(parts[1], parts[2])
            if not parts:
                return self.send_json(404, {"error": {"message": "Unknown path", "code": 100}})
            if not self.authorized():
                return None
            media_id = parts[-1]
            m = media.get(media_id)
            if m is None:
                return self.send_json(404, {"error": {"message": f"Media {media_id} does not exist",
                                                      "type": "OAuthException", "code": 100}})
            nonce = secrets.token_hex(8)
            with lock:
                stats["metadata"] += 1
                expired = args.expire_first_url and media_id not in issued
                issued.add(media_id)
                nonces[nonce] = (media_id, expired)
            host, port = self.server.server_address[:2]
            self.send_json(200, {
                "messaging_product": "whatsapp",
                "url": f"http://{host}:{port}/download/{media_id}/{nonce}",
                "mime_type": m["mime"],
                "sha256": m["sha256"],
                "file_size": str(m["size"] + (1 if args.bad_size else 0)),
                "id": media_id,
            })
            return None

        def download(self, media_id, nonce):
            if not self.authorized():
                return
            with lock:
                known = nonces.get(nonce)
            if known is None or known[0] != media_id or known[1]:
                with lock:
                    stats["expired"] += 1
                self.send_json(404, {"error": {"message": "URL expired", "code": 100}})
                return
            m = media[media_id]
            with lock:
                stats["download"] += 1
            self.send_response(200)
            self.send_header("Content-Type", m["mime"])
            self.send_header("Content-Length", str(m["size"]))
            self.end_headers()
            with open(m["path"], "rb") as f:
                for chunk in iter(lambda: f.read(1 << 16), b""):
                    self.wfile.write(chunk)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    timer = threading.Timer(args.timeout, server.shutdown)
    timer.daemon = True
    timer.start()
    print(f"port={server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
