#!/usr/bin/env python3
"""`chatvault serve --tls-cert --tls-key` on 127.0.0.1 with a throwaway self-signed certificate:
HTTPS works with TLS 1.2 and 1.3, TLS 1.1 and plain HTTP are refused, the session cookie is
Secure, responses carry Strict-Transport-Security, a certificate that does not match its key is
refused at start; and the running process allows no core dump.

Usage: test_tls.py --chatvault BUILD/chatvault [--keep]
"""

from __future__ import annotations

import warnings
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from service import Checks, Service, test_args  # noqa: E402

PASSWORD = "tls test passphrase"
warnings.filterwarnings("ignore", category=DeprecationWarning)  # ssl.TLSVersion.TLSv1_1: the point of the test


def make_cert(work: str, name: str) -> tuple[str, str]:
    cert, key = os.path.join(work, f"{name}.pem"), os.path.join(work, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def https(port: int, cert: str, method: str, path: str, body=None, version=None, headers=None):
    ctx = ssl.create_default_context(cafile=cert)
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def main() -> int:
    args = test_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="cv-tls-")
    cert, key = make_cert(work, "server")
    other_cert, _ = make_cert(work, "other")
    svc = Service(args.chatvault, work, {"admin": (["organization-management"], PASSWORD)})

    # A certificate with somebody else's key: refused at start, not served.
    r = subprocess.run([args.chatvault, "serve", "--archive", svc.archive, "--listen", "127.0.0.1:0",
                        "--tls-cert", other_cert, "--tls-key", key], capture_output=True, text=True, timeout=60)
    c.check(r.returncode == 64 and "certificate" in r.stderr, f"a mismatched certificate and key are refused: {r.returncode} {r.stderr}")

    svc.start(["--tls-cert", cert, "--tls-key", key])
    try:
        c.check("listening on https://" in svc.log(), "the service says it listens on https")
        status, headers, body = https(svc.port, cert, "GET", "/healthz", version=ssl.TLSVersion.TLSv1_2)
        c.check(status == 200 and body == b"ok\n", f"TLS 1.2 works: {status} {body!r}")
        c.check("max-age=" in headers.get("strict-transport-security", ""), f"HSTS is sent under TLS: {headers}")
        status, _, _ = https(svc.port, cert, "GET", "/healthz", version=ssl.TLSVersion.TLSv1_3)
        c.check(status == 200, "TLS 1.3 works")
        try:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(cert)
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            with socket.create_connection(("127.0.0.1", svc.port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                    old = True
        except (ssl.SSLError, OSError):
            old = False
        c.check(not old, "TLS 1.1 is refused")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=10)
            conn.request("GET", "/healthz")
            plain = conn.getresponse().status
        except (OSError, http.client.HTTPException):
            plain = None
        c.check(plain is None, f"plain HTTP gets no answer on the TLS port: {plain}")

        status, headers, body = https(svc.port, cert, "POST", "/api/v1/session", {"user": "admin", "password": PASSWORD},
                                      headers={"Content-Type": "application/json"})
        cookie = headers.get("set-cookie", "")
        c.check(status == 200 and "; Secure" in cookie and "HttpOnly" in cookie,
                f"under TLS the session cookie is Secure and HttpOnly: {status} {cookie}")

        with open(f"/proc/{svc.proc.pid}/limits", encoding="ascii") as f:
            core = [line for line in f if line.startswith("Max core file size")]
        c.check(bool(core) and core[0].split()[4:6] == ["0", "0"], f"the service allows no core dump: {core}")
    finally:
        rc = svc.stop()
        c.check(rc == 0, f"SIGTERM stops the service cleanly (exit {rc})")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return c.done("test_tls")


if __name__ == "__main__":
    sys.exit(main())
