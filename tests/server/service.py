"""A real `chatvault serve` for the service tests: an archive in a temp folder, users made with
the CLI before the service starts (the archive is the service's while it runs), the service on
127.0.0.1 at a free port, and a small HTTP client (urllib) that keeps a session cookie and its
CSRF token. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.parse

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")

ROLES = [
    "organization-management",
    "mailbox-import-export",
    "compliance-administrator",
    "ediscovery-manager",
    "reviewer",
    "auditor",
]


def test_args() -> argparse.Namespace:
    """What every service test takes: --chatvault BUILD/chatvault, and --keep (leave its folder)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatvault", required=True)
    ap.add_argument("--keep", action="store_true")
    return ap.parse_args()


def sign(secret: str, body: bytes) -> str:
    """X-Hub-Signature-256 as Meta computes it (spec §A.1)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers  # names lower-case
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"<{self.status} {self.body[:200]!r}>"


class Client:
    """One user's view of the service: a session cookie (after login) or a bearer token."""

    def __init__(self, port: int, log: list | None = None):
        self.port = port
        self.cookie: str | None = None
        self.csrf: str | None = None
        self.token: str | None = None
        self.log = log  # every response body is appended here (the secrets test greps them)

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                raw: bytes | None = None, csrf: bool = True) -> Response:
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.token:
            h.setdefault("Authorization", f"Bearer {self.token}")
        if self.cookie:
            h.setdefault("Cookie", f"cv_session={self.cookie}")
            if csrf and self.csrf and method not in ("GET", "HEAD"):
                h.setdefault("X-CSRF-Token", self.csrf)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            out = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()
        if self.log is not None:
            self.log.append((method, path, out.status, dict(out.headers), out.body))
        return out

    def login(self, user: str, password: str) -> Response:
        r = self.request("POST", "/api/v1/session", {"user": user, "password": password})
        if r.status == 200:
            m = re.search(r"cv_session=([^;]*)", r.headers.get("set-cookie", ""))
            self.cookie = m.group(1) if m else None
            self.csrf = r.json()["csrf_token"]
        return r


class Service:
    """`chatvault init` + users + `chatvault serve`; stop() sends SIGTERM and waits."""

    def __init__(self, chatvault: str, workdir: str, users: dict[str, tuple[list[str], str]] | None = None):
        self.chatvault = chatvault
        self.workdir = workdir
        self.archive = os.path.join(workdir, "archive")
        self.stderr_path = os.path.join(workdir, "serve.log")
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.env = dict(os.environ, CHATVAULT_ACTOR="test-setup")
        if not os.path.exists(self.archive):
            self.cli("init", "--archive", self.archive)
        for name, (roles, password) in (users or {}).items():
            args = ["user", "add", name, "--archive", self.archive, "--password-stdin"]
            for role in roles:
                args += ["--role", role]
            self.cli(*args, stdin=password + "\n")

    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run([self.chatvault, *args], input=stdin, capture_output=True, text=True,
                           env=self.env, timeout=600)
        if check and r.returncode != 0:
            raise RuntimeError(f"chatvault {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r

    def import_demo(self, mapped: bool = True) -> None:
        """Imports examples/demo-export (before start(): the service holds the archive). Mapped:
        with examples/demo-mapping.csv, every item lands in m.okafor@bank.example; else all wait
        in quarantine."""
        mapping = ["--mapping", os.path.join(EXAMPLES, "demo-mapping.csv"), "--default-region", "DE"] if mapped else []
        self.cli("import", os.path.join(EXAMPLES, "demo-export"), "--archive", self.archive, "--tz", "Europe/Berlin",
                 *mapping)

    def start(self, extra: list[str] | None = None, timeout: float = 60) -> "Service":
        self.log_file = open(self.stderr_path, "ab")
        start_offset = self.log_file.tell()
        self.proc = subprocess.Popen(
            [self.chatvault, "serve", "--archive", self.archive, "--listen", "127.0.0.1:0", *(extra or [])],
            stdout=subprocess.DEVNULL, stderr=self.log_file, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.stderr_path, "rb") as f:
                f.seek(start_offset)
                m = re.search(rb"listening on https?://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"chatvault serve exited {self.proc.returncode}: {self.log()}")
            time.sleep(0.05)
        raise RuntimeError("chatvault serve did not start: " + self.log())

    def log(self) -> str:
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def client(self, log: list | None = None) -> Client:
        return Client(self.port, log)

    def stop(self, sig=signal.SIGTERM, timeout: float = 60) -> int:
        if not self.proc:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise RuntimeError("chatvault serve did not stop within %ss of %s" % (timeout, sig))
        finally:
            self.log_file.close()
            self.proc = None
        return rc

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def wait_for(predicate, timeout: float = 60, interval: float = 0.1, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Checks:
    """Counts checks; prints failures; exit status for main()."""

    def __init__(self):
        self.failed = 0
        self.passed = 0
        self.lock = threading.Lock()

    def check(self, ok: bool, what: str) -> bool:
        with self.lock:
            if ok:
                self.passed += 1
            else:
                self.failed += 1
                print(f"FAIL: {what}", flush=True)
        return ok

    def done(self, name: str) -> int:
        print(f"{name}: {self.passed} checks passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def quote(s: str) -> str:
    return urllib.parse.quote(s, safe="")
