"""A throwaway Dovecot IMAP server for tests (Debian package dovecot-imapd, Dovecot 2.3).

    from dovecot import Dovecot

    with Dovecot({"alice@example.com": "pw-a", "bob@example.com": "pw-b"}) as d:
        c = d.imap("alice@example.com")          # STARTTLS verified against d.ca_path, LOGIN
        c.append('"WhatsApp Archiver"', "", None, raw)   # (names are IMAP wire names)
        d.messages("alice@example.com", "WhatsApp Archiver")   # -> [raw bytes, ...]

Everything lives in one fresh temp folder: dovecot.conf, base_dir (sockets, master.pid),
state_dir, dovecot.log (+ dovecot.stderr for what Dovecot prints before its log is open), a CA
and a server certificate made with `openssl`, the passwd-file and one home (with ~/Maildir) per
user. `/usr/sbin/dovecot -F -c DIR/dovecot.conf` runs in the foreground as a child process on
127.0.0.1 with two free ports (`port`: IMAP with STARTTLS, `imaps_port`: implicit TLS), so
/etc/dovecot, /run/dovecot, /var/lib/dovecot, a system Dovecot on 143/993 and other instances
(other tests in parallel) are never touched. Standard library only.

What the server offers:
  users          passwd-file, {PLAIN} passwords; login names are the email addresses (lower-
                 cased by Dovecot, auth_username_format = %Lu)
  mechanisms     LOGIN command, AUTHENTICATE PLAIN and LOGIN; with oauth=True (the default)
                 also XOAUTH2 and OAUTHBEARER: an `oauth2` passdb asks a token introspection
                 endpoint that this module serves itself (http://127.0.0.1:<port>/introspect,
                 a Python thread); token(user) is the token it accepts for that user
                 (tokens={user: token} chooses them); introspection_requests lists the tokens
                 Dovecot asked about. A token only opens its own user's mailbox, and the
                 password is not accepted as a token (the passdbs are split by mechanism).
  master user    login "alice@example.com*admin" with master_password, or AUTHENTICATE PLAIN
                 with authzid alice@example.com, authcid admin (auth_master_user_separator = *)
  quota          quota={"carol@example.com": 2000} (bytes, or a Dovecot rule such as
                 "storage=2k" or "messages=3"): APPEND beyond it fails with NO [OVERQUOTA]
  no_create      users whose ~/Maildir root is read-only (index and control files elsewhere):
                 LOGIN, SELECT INBOX and APPEND to INBOX work, CREATE fails with NO [NOPERM]
  separator      "." (default) or "/": the IMAP hierarchy separator (namespace separator)
  layout         "maildir++" (default: ~/Maildir/.a.b) or "fs" (~/Maildir/a/b)
  tls            False: no TLS at all (no STARTTLS, imaps_port is None), to test a client
                 that must refuse to send a password in the clear
  extra_conf     text appended to dovecot.conf (later settings win)

Gotchas (Dovecot 2.3.19):
  - A client whose address equals the server's (127.0.0.1 -> 127.0.0.1) counts as secured, so
    LOGIN before STARTTLS is accepted and LOGINDISABLED is never advertised, even with
    ssl = required. Use tls=False to test a server without TLS.
  - A failed authentication is answered after about 0.5 s (auth_failure_delay = 0 still waits
    for Dovecot's failure timer). The auth penalty, which would slow every later login from
    127.0.0.1 by up to 15 s, is switched off.
  - Over quota, APPEND with a synchronizing literal gets the tagged NO [OVERQUOTA] instead of
    the "+" continuation (the literal must then not be sent); with LITERAL+ the literal is read
    and then refused.
  - INTERNALDATE keeps the instant, not the offset (maildir stores the file's mtime; Dovecot
    answers in its own time zone, TZ=UTC unless tz= says otherwise), and a date more than two
    hours in the future is replaced by the time of the APPEND.
  - LOGIN needs the "user*admin" master login quoted ("*" is not an atom character); imaplib
    sends arguments unquoted, so the helpers quote, and folder names given to them are IMAP
    wire names (modified UTF-7, see mutf7_encode).
  - Creating "a/b" (or "a.b") makes "a" a \\Noselect parent unless "a" was created first.

Lifetime: Dovecot runs in its own process group under a small watchdog process (WATCHDOG below,
run with this Python). stop() (also __exit__, atexit, and a failed start) asks the watchdog,
which sends SIGTERM to the group, waits for the master, then SIGKILLs whatever is left in the
group. The watchdog also stops the server by itself after `lifetime` seconds (default 600; exit
status 124) or as soon as the test process is gone, however it died (it holds the read end of a
pipe whose write end only the test process has; exit status 125). Any thread may start a server.
CV_DOVECOT_KEEP=1 keeps the temp folder after stop() (its path is printed).
"""

from __future__ import annotations

import atexit
import base64
import dataclasses
import datetime as dt
import hashlib
import http.server
import imaplib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import weakref
from typing import Iterable, Mapping

sys.dont_write_bytecode = True

DOVECOT = os.environ.get("CV_DOVECOT", "/usr/sbin/dovecot")
HOST = "127.0.0.1"


class DovecotError(RuntimeError):
    """The server did not start (the message holds Dovecot's log) or a helper failed."""


@dataclasses.dataclass
class Message:
    uid: int
    internaldate: dt.datetime
    flags: tuple[str, ...]
    raw: bytes


def available() -> bool:
    """Whether this machine can run the harness (dovecot and openssl installed)."""
    return os.access(DOVECOT, os.X_OK) and shutil.which("openssl") is not None


# ---------------------------------------------------------------------------------------------
# Small IMAP helpers

def quote(s: str) -> str:
    """An IMAP quoted string (imaplib passes arguments through unquoted)."""
    if any(ch in s for ch in "\r\n\0"):
        raise ValueError(f"cannot quote {s!r}")
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mutf7_encode(name: str) -> str:
    """A Unicode mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3): "Café" -> "Caf&AOk-"."""
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + b.replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(name: str) -> str:
    """The inverse of mutf7_encode."""
    def dec(m: re.Match) -> str:
        b = m.group(1)
        if not b:
            return "&"
        b = b.replace(",", "/")
        return base64.b64decode(b + "=" * (-len(b) % 4)).decode("utf-16-be")
    return re.sub(r"&([^-]*)-", dec, name)


def parse_internaldate(s: str | bytes) -> dt.datetime:
    """'17-Jul-1996 02:44:25 -0700' -> an aware datetime with that offset."""
    if isinstance(s, bytes):
        s = s.decode("ascii")
    day, mon, rest = s.strip().split("-", 2)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    year, clock, zone = rest.split(" ")
    h, mi, se = (int(x) for x in clock.split(":"))
    sign = -1 if zone[0] == "-" else 1
    off = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
    return dt.datetime(int(year), months.index(mon) + 1, int(day), h, mi, se, tzinfo=dt.timezone(off))


def check(typ_dat, what: str):
    typ, dat = typ_dat
    if typ != "OK":
        raise DovecotError(f"{what}: {typ} {dat!r}")
    return dat


def _parse_list_line(item) -> tuple[tuple[str, ...], str | None, str]:
    # b'(\\HasNoChildren) "." "WhatsApp Archiver"', or a tuple when the name came as a literal.
    if isinstance(item, tuple):
        head, name = item[0].decode(), item[1].decode()
    else:
        head, name = item.decode(), None
    m = re.match(r'\(([^)]*)\) (NIL|"(?:\\.|[^"])*") ?(.*)$', head)
    if not m:
        raise DovecotError(f"cannot parse LIST response {item!r}")
    flags = tuple(m.group(1).split())
    delim = None if m.group(2) == "NIL" else m.group(2)[1:-1].replace("\\\\", "\\").replace('\\"', '"')
    if name is None:
        name = m.group(3)
        if name.startswith('"'):
            name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return flags, delim, name


# ---------------------------------------------------------------------------------------------
# Certificates

def make_ca(directory: str, name: str = "ca") -> tuple[str, str]:
    """A throwaway CA (EC P-256): returns (cert path, key path) in directory."""
    cert, key = os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", cert, "-days", "7", "-subj", f"/CN=chatvault test {name} {os.getpid()}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_server_cert(directory: str, ca: tuple[str, str], hosts: Iterable[str] = (HOST, "localhost"),
                     name: str = "server") -> tuple[str, str]:
    """A server certificate for hosts (IP addresses or DNS names, all in subjectAltName) signed
    by ca: returns (cert path, key path)."""
    hosts = list(hosts)
    cert, key = os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")
    csr, ext = os.path.join(directory, f"{name}.csr"), os.path.join(directory, f"{name}.ext")
    san = ",".join(("IP:" if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", h) else "DNS:") + h for h in hosts)
    with open(ext, "w") as f:
        f.write(f"subjectAltName={san}\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", f"/CN={hosts[0]}")
    _openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-out", cert, "-days", "7",
             "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-extfile", ext)
    return cert, key


def _openssl(*args: str) -> None:
    p = subprocess.run(["openssl", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    if p.returncode != 0:
        raise DovecotError(f"openssl {' '.join(args[:2])} failed: {p.stdout.decode(errors='replace')}")


# ---------------------------------------------------------------------------------------------
# Processes

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# argv: lifetime seconds, the read end of the lifeline pipe, the command. Exit status: the
# command's, 124 when the lifetime ran out, 125 when the test process went away, 143 on SIGTERM.
WATCHDOG = r"""
import os, select, signal, subprocess, sys, time
lifetime, lifeline, cmd = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
try:  # Dovecot's children orphaned by its master come here to be reaped, not to pid 1
    import ctypes
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
except Exception:
    pass
p = subprocess.Popen(cmd, start_new_session=True)
def stop(status):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)  # children that outlived the master, or a stuck master
    except ProcessLookupError:
        pass
    p.wait()
    try:
        while True:
            os.waitpid(-1, 0)
    except ChildProcessError:
        pass
    os._exit(status)
signal.signal(signal.SIGTERM, lambda *_: stop(143))
signal.signal(signal.SIGINT, signal.SIG_IGN)
try:
    exited = [os.pidfd_open(p.pid)]  # readable when Dovecot exits (Linux 5.3)
    tick = 60.0
except (AttributeError, OSError):
    exited, tick = [], 0.05
deadline = time.monotonic() + lifetime
while p.poll() is None:
    left = deadline - time.monotonic()
    if left <= 0:
        stop(124)
    if lifeline in select.select([lifeline, *exited], [], [], min(left, tick))[0] and not os.read(lifeline, 1):
        stop(125)
stop(p.returncode)
"""


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(ppid, start time) of a live process, None when it is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[19])


def _children(pid: int) -> dict[int, int]:
    """{pid: start time} of the live children of pid (Linux /proc)."""
    out = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return out
    for e in entries:
        if e.isdigit():
            st = _proc_stat(int(e))
            if st and st[0] == pid:
                out[int(e)] = st[1]
    return out


_live: "weakref.WeakSet[Dovecot]" = weakref.WeakSet()


@atexit.register
def _stop_all():
    for d in list(_live):
        try:
            d.stop()
        except Exception:
            pass


# ---------------------------------------------------------------------------------------------
# Token introspection for the oauth2 passdb

class _Introspection(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tokens: Mapping[str, str]):
        self.tokens = tokens          # token -> user
        self.requests: list[str] = []  # tokens asked about, in order
        super().__init__((HOST, 0), _IntrospectionHandler)


class _IntrospectionHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(n).decode("utf-8", "replace"))
        self._answer((form.get("token") or [""])[0])

    def do_GET(self):  # introspection_mode = auth (Authorization: Bearer) or get (URL suffix)
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else urllib.parse.unquote(self.path.rsplit("/", 1)[-1])
        self._answer(token)

    def _answer(self, token: str):
        self.server.requests.append(token)
        user = self.server.tokens.get(token)
        body = json.dumps({"active": True, "username": user, "scope": "mail"} if user
                          else {"active": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# ---------------------------------------------------------------------------------------------

class Dovecot:
    """A Dovecot IMAP server on 127.0.0.1 in a temp folder; see the module docstring."""

    def __init__(self, users: Mapping[str, str], *,
                 master_user: str | None = "admin", master_password: str = "master-pw",
                 quota: Mapping[str, int | str] | None = None,
                 no_create: Iterable[str] = (),
                 separator: str = ".", layout: str = "maildir++",
                 oauth: bool = True, tokens: Mapping[str, str] | None = None,
                 tls: bool = True, extra_conf: str = "", lifetime: float = 600, start_timeout: float = 15,
                 tz: str = "UTC", debug: bool = False, parent_dir: str | None = None):
        if separator not in (".", "/"):
            raise ValueError("separator must be '.' or '/'")
        if layout not in ("maildir++", "fs"):
            raise ValueError("layout must be 'maildir++' or 'fs'")
        for name, pw in [*users.items(), *([(master_user, master_password)] if master_user else [])]:
            if not name or re.search(r"[:\s*]", name) or name != name.lower() or re.search(r"[:\r\n]", pw):
                raise ValueError(f"unusable user or password: {name!r}")
        self.users = dict(users)
        self.master_user, self.master_password = master_user, master_password
        self.quota = {u: (f"storage={q}B" if isinstance(q, int) else q) for u, q in (quota or {}).items()}
        self.no_create = set(no_create)
        for u in [*self.quota, *self.no_create]:
            if u not in self.users:
                raise ValueError(f"{u!r} is not one of the users")
        self.separator, self.layout = separator, layout
        self.oauth, self.tls, self.extra_conf = oauth, tls, extra_conf
        self.lifetime, self.start_timeout, self.tz, self.debug = lifetime, start_timeout, tz, debug
        self.parent_dir = parent_dir
        self._tokens = {u: "tok-" + hashlib.sha256(("chatvault:" + u).encode()).hexdigest()[:32] for u in users}
        self._tokens.update(tokens or {})
        self.host = HOST
        self.dir = self.conf_path = self.log_path = self.ca_path = self.cert_path = self.key_path = None
        self.port = self.imaps_port = None
        self.proc: subprocess.Popen | None = None
        self.master_pid: int | None = None
        self._lifeline: int | None = None
        self._introspection: _Introspection | None = None
        self._lock = threading.Lock()
        self.start_seconds = None

    # -- lifetime ---------------------------------------------------------------------------

    def __enter__(self) -> "Dovecot":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "Dovecot":
        if self.proc is not None:
            raise DovecotError("already started")
        t0 = time.monotonic()
        self.dir = tempfile.mkdtemp(prefix="cv-dovecot-", dir=self.parent_dir)
        _live.add(self)
        try:
            os.chmod(self.dir, 0o755)  # the mail user (nobody when we are root) walks into homes
            self._mail_ids()
            self.ca_path, _ = make_ca(self.dir)
            self.cert_path, self.key_path = make_server_cert(self.dir, (self.ca_path, _))
            if self.oauth:
                self._introspection = _Introspection({t: u for u, t in self._tokens.items()})
                threading.Thread(target=self._introspection.serve_forever, args=(0.05,), name="dovecot-introspection",
                                 daemon=True).start()
            self._write_users()
            for attempt in range(4):  # a free port can be taken by someone else before Dovecot binds it
                self.port, self.imaps_port = _free_port(), (_free_port() if self.tls else None)
                self._write_conf()
                err = self._launch()
                if err is None:
                    break
                if "in use" not in err or attempt == 3:
                    raise DovecotError(err)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, wait, then SIGKILL what is left) and remove the temp folder.
        Idempotent."""
        with self._lock:
            if self.proc is not None:
                self._terminate()
                self.proc = None
            if self._introspection is not None:
                self._introspection.shutdown()
                self._introspection.server_close()
                self._introspection = None
            if self.dir and os.path.isdir(self.dir):
                if os.environ.get("CV_DOVECOT_KEEP"):
                    print(f"dovecot.py: kept {self.dir}", file=sys.stderr)
                else:
                    shutil.rmtree(self.dir, onerror=_force_remove)
            _live.discard(self)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _terminate(self) -> None:
        proc = self.proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the watchdog stops the Dovecot process group
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
                if self.master_pid and _proc_stat(self.master_pid):
                    try:
                        os.killpg(self.master_pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        if self._lifeline is not None:
            os.close(self._lifeline)
            self._lifeline = None

    def _launch(self) -> str | None:
        """Start Dovecot and wait for both ports to greet; None when up, else the error text."""
        self.master_pid = None
        run = os.path.join(self.dir, "run")
        pidfile = os.path.join(run, "master.pid")
        for p in (self.log_path, pidfile):
            if os.path.exists(p):
                os.unlink(p)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TZ": self.tz}
        r, self._lifeline = os.pipe()  # both ends non-inheritable; r is passed on explicitly
        try:
            with open(os.path.join(self.dir, "dovecot.stderr"), "wb") as err:
                self.proc = subprocess.Popen(
                    [sys.executable, "-I", "-c", WATCHDOG, str(self.lifetime), str(r),
                     DOVECOT, "-F", "-c", self.conf_path],
                    stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env, cwd=self.dir, pass_fds=(r,))
        finally:
            os.close(r)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if "Fatal: " in self.log_text():  # a service that cannot start is retried for ever
                break
            if self._greets(self.port) and (not self.tls or self._greets(self.imaps_port, tls=True)):
                try:
                    with open(pidfile) as f:
                        self.master_pid = int(f.read().strip())
                except (OSError, ValueError):
                    pass
                return None
            time.sleep(0.02)
        text = self.log_text()
        if "Fatal: " in text and self.proc.poll() is None:
            why = "logged a fatal error"
        elif self.proc.poll() is None:
            why = f"did not answer on {HOST}:{self.port}/{self.imaps_port} within {self.start_timeout} s"
        else:
            why = f"exited with {self.proc.returncode}"
        self._terminate()
        self.proc = None
        return f"dovecot {why}; {self.dir}\n{text}"

    def _greets(self, port: int, tls: bool = False) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=2) as s:
                if tls:
                    with self.ssl_context().wrap_socket(s, server_hostname=HOST) as t:
                        ok = t.recv(64).startswith(b"* OK")
                        t.sendall(b"x LOGOUT\r\n")
                        return ok
                ok = s.recv(64).startswith(b"* OK")
                s.sendall(b"x LOGOUT\r\n")
                return ok
        except (OSError, ssl.SSLError):
            return False

    # -- files ------------------------------------------------------------------------------

    def _mail_ids(self) -> None:
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.mail_uid, self.mail_gid = nobody.pw_uid, nobody.pw_gid
            self.internal_user, self.login_user = "dovecot", "dovenull"
            for u in ("dovecot", "dovenull"):
                pwd.getpwnam(u)  # KeyError: the Debian package creates them
        else:  # Dovecot also runs unprivileged when every process is this user
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(self.mail_uid).pw_name
            self.internal_user = self.login_user = me

    def home(self, user: str) -> str:
        return os.path.join(self.dir, "home", user)

    def maildir(self, user: str) -> str:
        return os.path.join(self.home(user), "Maildir")

    def _write_users(self) -> None:
        homes = os.path.join(self.dir, "home")
        os.mkdir(homes, 0o755)
        lines = []
        for user, pw in self.users.items():
            home = self.home(user)
            os.mkdir(home, 0o700)
            os.chown(home, self.mail_uid, self.mail_gid)
            extra = []
            if user in self.quota:
                extra.append(f"userdb_quota_rule=*:{self.quota[user]}")
            if user in self.no_create:
                # The Maildir root (where new folders are made) is read-only; INBOX's cur/new/tmp
                # and the index and control files (uidlist, subscriptions) stay writable.
                md = self.maildir(user)
                os.mkdir(md)
                for sub in ("cur", "new", "tmp", "../index", "../control"):
                    os.mkdir(os.path.join(md, sub), 0o700)
                    os.chown(os.path.join(md, sub), self.mail_uid, self.mail_gid)
                os.chown(md, os.getuid(), os.getgid())
                os.chmod(md, 0o555)
                loc = f"maildir:~/Maildir:INDEX=~/index:CONTROL=~/control{self._layout_opt()}"
                extra.append(f"userdb_mail={loc}")
            lines.append(f"{user}:{{PLAIN}}{pw}:{self.mail_uid}:{self.mail_gid}::{home}::{' '.join(extra)}\n")
        self.passwd_path = os.path.join(self.dir, "users.passwd")
        with open(self.passwd_path, "w") as f:
            f.writelines(lines)
        self.masters_path = os.path.join(self.dir, "masters.passwd")
        with open(self.masters_path, "w") as f:
            if self.master_user:
                f.write(f"{self.master_user}:{{PLAIN}}{self.master_password}\n")
        # Read by the auth process (user dovecot); throwaway passwords only.
        os.chmod(self.passwd_path, 0o644)
        os.chmod(self.masters_path, 0o644)

    def _layout_opt(self) -> str:
        return ":LAYOUT=fs" if self.layout == "fs" else ""

    def _write_conf(self) -> None:
        d = self.dir
        self.conf_path = os.path.join(d, "dovecot.conf")
        self.log_path = os.path.join(d, "dovecot.log")
        os.makedirs(os.path.join(d, "state"), exist_ok=True)
        mechs = "plain login" + (" xoauth2 oauthbearer" if self.oauth else "")
        oauth = ""
        if self.oauth:
            oauth_conf = os.path.join(d, "oauth2.conf.ext")
            with open(oauth_conf, "w") as f:
                f.write(f"introspection_mode = post\n"
                        f"introspection_url = http://{HOST}:{self._introspection.server_address[1]}/introspect\n"
                        "username_attribute = username\n"
                        "active_attribute = active\nactive_value = true\n"
                        "timeout_msecs = 5000\n")
            oauth = f"""
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {oauth_conf}
}}"""
        master = ""
        if self.master_user:
            master = f"""
passdb {{
  driver = passwd-file
  master = yes
  pass = yes
  args = scheme=PLAIN {self.masters_path}
}}"""
        if self.tls:
            tls = (f"ssl = yes\nssl_cert = <{self.cert_path}\nssl_key = <{self.key_path}\n"
                   "ssl_min_protocol = TLSv1.2\n")
            imaps = f"address = {HOST}\n    port = {self.imaps_port}\n    ssl = yes"
        else:
            tls, imaps = "ssl = no\n", "port = 0"
        # Unprivileged, Dovecot cannot chroot its login and anvil processes.
        nonroot = "" if os.geteuid() == 0 else "service anvil {\n  chroot =\n}\n"
        conf = f"""# Generated by tests/imap/dovecot.py for one test run; nothing here is used twice.
base_dir = {d}/run
state_dir = {d}/state
instance_name = {os.path.basename(d)}
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
protocols = imap
listen = {HOST}
shutdown_clients = yes

default_internal_user = {self.internal_user}
default_internal_group = {_group(self.internal_user)}
default_login_user = {self.login_user}
first_valid_uid = 1
first_valid_gid = 1

{tls}disable_plaintext_auth = no

auth_mechanisms = {mechs}
auth_master_user_separator = *
auth_username_format = %Lu
auth_failure_delay = 0
auth_verbose = yes
auth_debug = {"yes" if self.debug else "no"}
mail_debug = {"yes" if self.debug else "no"}
{master}
passdb {{
  driver = passwd-file
  mechanisms = plain login none
  args = scheme=PLAIN username_format=%Lu {self.passwd_path}
}}{oauth}
userdb {{
  driver = passwd-file
  args = username_format=%Lu {self.passwd_path}
}}

mail_location = maildir:~/Maildir{self._layout_opt()}
mail_max_userip_connections = 200
mail_plugins = $mail_plugins quota
namespace inbox {{
  inbox = yes
  prefix =
  separator = {self.separator}
}}
plugin {{
  quota = count:User quota
  quota_vsizes = yes
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
}}

# Failed logins would slow every later login from 127.0.0.1 (auth penalty, up to 15 s).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{nonroot}service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    {imaps}
  }}{"" if os.geteuid() == 0 else chr(10) + "  chroot ="}
}}
{self.extra_conf}
"""
        with open(self.conf_path, "w") as f:
            f.write(conf)

    def log_text(self) -> str:
        """Dovecot's log and whatever it printed before the log was open."""
        out = []
        for name in ("dovecot.stderr", "dovecot.log"):
            p = os.path.join(self.dir or "", name)
            if self.dir and os.path.exists(p):
                with open(p, "rb") as f:
                    out.append(f"--- {name}\n" + f.read().decode("utf-8", "replace"))
        return "\n".join(out)

    # -- clients ----------------------------------------------------------------------------

    def ssl_context(self, cafile: str | None = None) -> ssl.SSLContext:
        """A client context that trusts only the throwaway CA (or cafile)."""
        return ssl.create_default_context(cafile=cafile or self.ca_path)

    def token(self, user: str) -> str:
        """The OAuth bearer token the introspection endpoint accepts for user."""
        return self._tokens[user]

    @property
    def introspection_requests(self) -> list[str]:
        """Tokens the oauth2 passdb asked the introspection endpoint about, in order."""
        return list(self._introspection.requests) if self._introspection else []

    def imap(self, user: str | None, password: str | None = None, *, tls: str | None = None,
             auth: str | None = "login", master: bool = False,
             ssl_context: ssl.SSLContext | None = None, timeout: float = 30) -> imaplib.IMAP4:
        """A connected client, logged in as user unless auth is None.

        tls:  "starttls" (port, STARTTLS verified against the CA; the default unless the server
              has tls=False), "imaps" (imaps_port), "none" (no TLS)
        auth: "login" (LOGIN), "plain" (AUTHENTICATE PLAIN), "xoauth2", "oauthbearer", None
        master: log in as the master user acting as user ("user*admin" for LOGIN, authzid for
                PLAIN). password defaults to the user's (or the master) password, or for the
                OAuth mechanisms to token(user)."""
        ctx = ssl_context or self.ssl_context()
        tls = tls or ("starttls" if self.tls else "none")
        if tls == "imaps":
            c = imaplib.IMAP4_SSL(HOST, self.imaps_port, ssl_context=ctx, timeout=timeout)
        elif tls in ("starttls", "none"):
            c = imaplib.IMAP4(HOST, self.port, timeout=timeout)
            if tls == "starttls":
                try:
                    c.starttls(ssl_context=ctx)
                except BaseException:
                    _close(c)
                    raise
        else:
            raise ValueError(f"tls={tls!r}")
        if auth is None:
            return c
        try:
            if master and auth not in ("login", "plain"):
                raise ValueError("the master user logs in with LOGIN or PLAIN")
            if master:
                pw = self.master_password if password is None else password
            elif auth in ("xoauth2", "oauthbearer"):
                pw = self.token(user) if password is None else password
            else:
                pw = self.users[user] if password is None else password
            if auth == "login":
                c.login(quote(f"{user}*{self.master_user}" if master else user), pw)
            elif auth == "plain":
                authz, authc = (user, self.master_user) if master else ("", user)
                c.authenticate("PLAIN", lambda _: f"{authz}\0{authc}\0{pw}".encode())
            elif auth == "xoauth2":
                c.authenticate("XOAUTH2", _once(f"user={user}\x01auth=Bearer {pw}\x01\x01".encode()))
            elif auth == "oauthbearer":
                c.authenticate("OAUTHBEARER", _once(
                    f"n,a={user},\x01host={HOST}\x01port={self.port}\x01auth=Bearer {pw}\x01\x01".encode()))
            else:
                raise ValueError(f"auth={auth!r}")
        except BaseException:
            _close(c)
            raise
        return c

    def _session(self, user: str):
        return _Session(self.imap(user, master=False))

    def fetch(self, user: str, folder: str = "INBOX") -> list[Message]:
        """Every message in folder (IMAP wire name), in UID order, read without setting \\Seen."""
        with self._session(user) as c:
            n = int(check(c.select(quote(folder), readonly=True), f"SELECT {folder}")[0])
            if n == 0:
                return []
            dat = check(c.uid("FETCH", "1:*", "(UID INTERNALDATE FLAGS BODY.PEEK[])"), "FETCH")
        out = []
        i = 0
        while i < len(dat):
            item = dat[i]
            if isinstance(item, tuple):
                meta = item[0] + (dat[i + 1] if i + 1 < len(dat) and isinstance(dat[i + 1], bytes) else b"")
                uid = int(re.search(rb"UID (\d+)", meta).group(1))
                date = parse_internaldate(re.search(rb'INTERNALDATE "([^"]+)"', meta).group(1))
                flags = tuple(re.search(rb"FLAGS \(([^)]*)\)", meta).group(1).decode().split())
                out.append(Message(uid, date, flags, item[1]))
            i += 1
        out.sort(key=lambda m: m.uid)
        return out

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """The full raw messages (BODY[]) in folder, in UID (append) order."""
        return [m.raw for m in self.fetch(user, folder)]

    def internaldates(self, user: str, folder: str = "INBOX") -> list[dt.datetime]:
        """The INTERNALDATEs (aware datetimes, server's offset) in folder, in UID order."""
        return [m.internaldate for m in self.fetch(user, folder)]

    def folders(self, user: str) -> list[tuple[tuple[str, ...], str | None, str]]:
        """LIST "" "*": (flags, delimiter, wire name) per folder."""
        with self._session(user) as c:
            dat = check(c.list('""', "*"), "LIST")
        return [_parse_list_line(x) for x in dat if x is not None]

    def append(self, user: str, folder: str, raw: bytes, date: dt.datetime | None = None,
               flags: str = "") -> None:
        """APPEND raw to folder (wire name) with an optional INTERNALDATE (aware datetime)."""
        with self._session(user) as c:
            check(c.append(quote(folder), flags or None, date, raw), f"APPEND {folder}")

    def create(self, user: str, folder: str) -> None:
        with self._session(user) as c:
            check(c.create(quote(folder)), f"CREATE {folder}")


class _Session:
    def __init__(self, c: imaplib.IMAP4):
        self.c = c

    def __enter__(self) -> imaplib.IMAP4:
        return self.c

    def __exit__(self, *exc):
        _close(self.c)


def _close(c: imaplib.IMAP4) -> None:
    try:
        c.logout()
    except Exception:
        try:
            c.shutdown()
        except Exception:
            pass


def _once(response: bytes):
    """An imaplib authobject: the initial response, then an empty reply to an error challenge
    (XOAUTH2/OAUTHBEARER send a JSON error as a continuation before the final NO)."""
    sent = []

    def step(_challenge: bytes) -> bytes:
        if sent:
            return b""
        sent.append(1)
        return response
    return step


def _group(user: str) -> str:
    import grp
    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


def _force_remove(func, path, _exc):
    # A no_create user's read-only Maildir root (matters when not root).
    try:
        os.chmod(os.path.dirname(path), 0o755)
        func(path)
    except OSError:
        pass
