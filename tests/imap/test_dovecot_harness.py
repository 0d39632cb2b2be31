#!/usr/bin/env python3
"""The Dovecot test harness (tests/imap/dovecot.py) does what the IMAP delivery tests rely on.

Usage:
    test_dovecot_harness.py [-v] [unittest arguments]

One shared server (alice, bob, carol with a 2000-byte quota, dave who cannot create folders)
serves most checks, read back with Python's imaplib: LOGIN and AUTHENTICATE PLAIN for two
users, XOAUTH2/OAUTHBEARER through the harness's token introspection endpoint, the master user
acting as another user (LOGIN "bob@example.com*admin" and PLAIN with an authzid), STARTTLS and
IMAPS verified against the throwaway CA and refused with an unrelated CA or the wrong host name,
APPEND with an INTERNALDATE read back by FETCH, CREATE "WhatsApp Archiver" and "Caf&AOk-",
APPEND over quota failing with [OVERQUOTA], CREATE failing for dave. Other servers: two at once
(separator "." with Maildir++ and "/" with LAYOUT=fs), gone with their temp folder after the
`with` block (also when it raises), a bad configuration raising with Dovecot's own error, a
taken port retried, no TLS at all, and the watchdog stopping a forgotten server.

Exit 0 when every check holds, 1 otherwise, 77 (skip) when /usr/sbin/dovecot or openssl is
missing. Takes about 6 s. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import os
import socket
import ssl
import sys
import tempfile
import threading
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dovecot  # noqa: E402
from dovecot import Dovecot, DovecotError, mutf7_decode, mutf7_encode, quote  # noqa: E402

SKIP = 77
A, B, C, D = "alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"
PASSWORDS = {A: "alice-pw", B: "bob pw with spaces", C: "carol-pw", D: "dave-pw"}


def msg(subject: str, body: str = "Hello.", extra: int = 0) -> bytes:
    return (f"From: Chat Vault <vault@example.com>\r\nTo: {A}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@test>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode() + b"x" * extra


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except OSError:
        return True


class SharedServer(unittest.TestCase):
    d: Dovecot

    @classmethod
    def setUpClass(cls):
        cls.d = Dovecot(PASSWORDS, quota={C: 2000}, no_create=[D])
        cls.d.start()
        print(f"\n[start+ready {cls.d.start_seconds:.3f} s, ports {cls.d.port}/{cls.d.imaps_port}]",
              file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def expect_auth_failure(self, **kw):
        with self.assertRaisesRegex(imaplib.IMAP4.error, "AUTHENTICATIONFAILED"):
            self.d.imap(**kw).logout()

    def test_server_comes_up(self):
        d = self.d
        self.assertTrue(d.running())
        self.assertEqual(len({d.port, d.imaps_port, 143, 993}), 4)
        self.assertTrue(os.path.exists(os.path.join(d.dir, "run", "master.pid")))
        c = d.imap(None, tls="none", auth=None)
        try:
            for cap in ("STARTTLS", "AUTH=PLAIN", "AUTH=LOGIN", "AUTH=XOAUTH2", "AUTH=OAUTHBEARER"):
                self.assertIn(cap, c.capabilities)
        finally:
            c.logout()

    def test_login_and_plain_for_two_users(self):
        for user in (A, B):
            for auth in ("login", "plain"):
                with self.subTest(user=user, auth=auth):
                    c = self.d.imap(user, auth=auth)
                    self.assertEqual(c.state, "AUTH")
                    self.assertEqual(c.select("INBOX")[0], "OK")
                    c.logout()
        self.expect_auth_failure(user=A, password="wrong")

    def test_oauth_mechanisms_via_introspection(self):
        for auth in ("xoauth2", "oauthbearer"):
            with self.subTest(auth=auth):
                c = self.d.imap(A, auth=auth)
                self.assertEqual(c.select("INBOX")[0], "OK")
                c.logout()
        self.assertIn(self.d.token(A), self.d.introspection_requests)
        # The token is bound to its user: bob's token does not open alice's mailbox.
        self.expect_auth_failure(user=A, password=self.d.token(B), auth="xoauth2")
        # The password is not a token (LOGIN/PLAIN and the OAuth mechanisms use separate passdbs).
        self.expect_auth_failure(user=A, password=PASSWORDS[A], auth="xoauth2")

    def test_master_user_acts_as_another_user(self):
        self.d.append(B, "INBOX", msg("for bob"))
        for auth in ("login", "plain"):
            with self.subTest(auth=auth):
                c = self.d.imap(B, master=True, auth=auth)
                self.assertEqual(c.select("INBOX")[0], "OK")
                typ, dat = c.search(None, 'HEADER Subject "for bob"')
                self.assertEqual(typ, "OK")
                self.assertTrue(dat[0].split(), "bob's message is visible to the master login")
                c.logout()
        c = self.d.imap(B, master=True)
        self.assertEqual(c.create(quote("Made by admin"))[0], "OK")
        c.logout()
        self.assertIn("Made by admin", [name for _, _, name in self.d.folders(B)])
        self.assertNotIn("Made by admin", [name for _, _, name in self.d.folders(A)])
        self.expect_auth_failure(user=B, password="not-the-master-pw", master=True)

    def test_starttls_verifies_against_generated_ca(self):
        c = self.d.imap(A)  # STARTTLS, CERT_REQUIRED and check_hostname against ca_path
        self.assertIsInstance(c.sock, ssl.SSLSocket)
        self.assertNotIn("STARTTLS", c.capabilities)
        c.logout()
        with tempfile.TemporaryDirectory() as other:
            unrelated = self.d.ssl_context(cafile=dovecot.make_ca(other, "unrelated")[0])
            with self.assertRaises(ssl.SSLCertVerificationError):
                self.d.imap(A, ssl_context=unrelated)
            with self.assertRaises(ssl.SSLCertVerificationError):
                self.d.imap(A, tls="imaps", ssl_context=unrelated)

    def test_imaps_port_and_certificate_names(self):
        c = self.d.imap(A, tls="imaps", auth="plain")
        self.assertIsInstance(c.sock, ssl.SSLSocket)
        self.assertEqual(c.select("INBOX")[0], "OK")
        c.logout()
        for name in ("127.0.0.1", "localhost"):
            with socket.create_connection(("127.0.0.1", self.d.imaps_port), timeout=5) as s:
                with self.d.ssl_context().wrap_socket(s, server_hostname=name) as t:
                    self.assertTrue(t.recv(100).startswith(b"* OK"))
        with socket.create_connection(("127.0.0.1", self.d.imaps_port), timeout=5) as s:
            with self.assertRaises(ssl.SSLCertVerificationError):
                self.d.ssl_context().wrap_socket(s, server_hostname="mail.example.org")

    def test_append_internaldate_roundtrip(self):
        folder = "Dates"
        self.d.create(A, folder)
        dates = [dt.datetime(2019, 7, 4, 23, 59, 58, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
                 dt.datetime(2001, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc),
                 dt.datetime(2024, 2, 29, 12, 0, 0, tzinfo=dt.timezone(-dt.timedelta(hours=8)))]
        raws = [msg(f"dated {i}", "line 1\r\nline 2 \u00e9") for i in range(len(dates))]
        c = self.d.imap(A)
        for raw, date in zip(raws, dates):
            typ, dat = c.append(folder, None, date, raw)
            self.assertEqual(typ, "OK", dat)
        c.logout()
        self.assertEqual(self.d.internaldates(A, folder), dates)  # the same instants
        self.assertEqual(self.d.messages(A, folder), raws)        # byte for byte
        self.assertFalse(any("\\Seen" in m.flags for m in self.d.fetch(A, folder)))
        # Dovecot replaces a date more than 2 hours in the future with the time of the APPEND.
        now = dt.datetime.now(dt.timezone.utc)
        self.d.append(A, folder, msg("future"), now + dt.timedelta(days=2))
        self.assertLess(abs(self.d.internaldates(A, folder)[-1] - now), dt.timedelta(minutes=5))

    def test_create_archiver_folder_and_non_ascii_name(self):
        c = self.d.imap(A)
        self.assertEqual(c.create(quote("WhatsApp Archiver"))[0], "OK")
        self.assertEqual(c.create(quote("Caf&AOk-"))[0], "OK")
        typ, dat = c.create(quote("WhatsApp Archiver"))
        self.assertEqual(typ, "NO")
        self.assertIn(b"[ALREADYEXISTS]", dat[0])
        c.logout()
        self.d.append(A, "WhatsApp Archiver", msg("archived"))
        self.assertEqual(len(self.d.messages(A, "WhatsApp Archiver")), 1)
        names = {name: delim for _, delim, name in self.d.folders(A)}
        self.assertIn("WhatsApp Archiver", names)
        self.assertIn("Caf&AOk-", names)
        self.assertEqual(names["INBOX"], ".")
        self.assertEqual(mutf7_decode("Caf&AOk-"), "Caf\u00e9")

    def test_mutf7_helpers(self):
        for text, wire in [("Caf\u00e9", "Caf&AOk-"), ("A&B", "A&-B"), ("\u65e5\u672c\u8a9e", "&ZeVnLIqe-"),
                           ("WhatsApp Archiver", "WhatsApp Archiver"), ("\U0001F600 x", "&2D3eAA- x")]:
            self.assertEqual(mutf7_encode(text), wire)
            self.assertEqual(mutf7_decode(wire), text)

    def test_quota_makes_append_fail_with_overquota(self):
        c = self.d.imap(C)
        self.assertEqual(c.append("INBOX", None, None, msg("small"))[0], "OK")
        typ, dat = c.append("INBOX", None, None, msg("too big", extra=3000))
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", dat[0])
        self.assertEqual(c.noop()[0], "OK")  # the connection survives
        c.logout()
        self.assertEqual(len(self.d.messages(C)), 1)

    def test_folder_not_creatable_but_login_works(self):
        c = self.d.imap(D)
        typ, dat = c.create(quote("WhatsApp Archiver"))
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NOPERM]", dat[0])
        self.assertEqual(c.select("INBOX")[0], "OK")
        self.assertEqual(c.append("INBOX", None, None, msg("inbox still works"))[0], "OK")
        c.logout()
        self.assertEqual([n for _, _, n in self.d.folders(D)], ["INBOX"])
        self.assertEqual(len(self.d.messages(D)), 1)


class OtherServers(unittest.TestCase):

    def test_two_instances_at_once_with_both_separators(self):
        users = {A: "pw"}
        servers = [Dovecot(users), Dovecot(users, separator="/", layout="fs")]
        threads = [threading.Thread(target=s.start) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        d1, d2 = servers
        try:
            self.assertTrue(d1.running() and d2.running())
            self.assertEqual(len({d1.port, d1.imaps_port, d2.port, d2.imaps_port}), 4)
            self.assertNotEqual(d1.dir, d2.dir)
            d1.create(A, "WhatsApp Archiver.Chat 1")
            d2.create(A, "WhatsApp Archiver/Chat 1")
            d1.append(A, "WhatsApp Archiver.Chat 1", msg("one"))
            self.assertEqual(len(d1.messages(A, "WhatsApp Archiver.Chat 1")), 1)
            self.assertEqual(d2.messages(A, "WhatsApp Archiver/Chat 1"), [])
            l1 = {n: (f, s) for f, s, n in d1.folders(A)}
            l2 = {n: (f, s) for f, s, n in d2.folders(A)}
            self.assertEqual(l1["WhatsApp Archiver.Chat 1"][1], ".")
            self.assertEqual(l2["WhatsApp Archiver/Chat 1"][1], "/")
            # A parent made implicitly is listed but not selectable.
            self.assertIn("\\Noselect", l2["WhatsApp Archiver"][0])
            self.assertTrue(os.path.isdir(os.path.join(d1.maildir(A), ".WhatsApp Archiver.Chat 1")))
            self.assertTrue(os.path.isdir(os.path.join(d2.maildir(A), "WhatsApp Archiver", "Chat 1")))
            c = d2.imap(A)
            self.assertEqual(c.create(quote("dots.are.fine"))[0], "OK")  # "." is no separator here
            c.logout()
        finally:
            for s in servers:
                s.stop()

    def test_server_gone_after_context_exit(self):
        with self.assertRaises(ZeroDivisionError):
            with Dovecot({A: "pw"}) as d:
                c = d.imap(A)  # a session still open when the server stops
                master, port, folder = d.master_pid, d.port, d.dir
                kids = dovecot._children(master)
                self.assertGreaterEqual(len(kids), 3)
                t0 = time.monotonic()
                1 / 0
        print(f"\n[stop with a session open {time.monotonic() - t0:.3f} s]", file=sys.stderr)
        self.assertTrue(gone(master))
        self.assertTrue(all(gone(p) for p in kids))
        self.assertTrue(refuses(port))
        self.assertFalse(os.path.exists(folder))
        self.assertFalse(d.running())
        with self.assertRaises((OSError, imaplib.IMAP4.abort)):
            c.noop()
        c.shutdown()
        d.stop()  # idempotent

    def test_bad_configuration_raises_with_dovecot_log(self):
        d = Dovecot({A: "pw"}, extra_conf="no_such_setting_for_this_test = 1\n")
        with self.assertRaises(DovecotError) as cm:
            d.start()
        self.assertIn("no_such_setting_for_this_test", str(cm.exception))
        self.assertFalse(d.running())
        self.assertFalse(os.path.exists(d.dir))

    def test_taken_port_is_retried(self):
        held = socket.socket()
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        real, calls = dovecot._free_port, []

        def first_taken():
            calls.append(1)
            return taken if len(calls) == 1 else real()
        dovecot._free_port = first_taken
        try:
            with Dovecot({A: "pw"}) as d:
                self.assertNotEqual(d.port, taken)
                d.imap(A).logout()
        finally:
            dovecot._free_port = real
            held.close()
        self.assertGreater(len(calls), 2)

    def test_without_tls(self):
        with Dovecot({A: "pw"}, tls=False, oauth=False) as d:
            self.assertIsNone(d.imaps_port)
            c = d.imap(A)  # LOGIN in the clear
            self.assertNotIn("STARTTLS", c.capabilities)
            self.assertNotIn("AUTH=XOAUTH2", c.capabilities)
            self.assertNotIsInstance(c.sock, ssl.SSLSocket)
            c.logout()

    def test_watchdog_stops_a_forgotten_server(self):
        d = Dovecot({A: "pw"}, lifetime=1)
        d.start()
        try:
            master = d.master_pid
            deadline = time.monotonic() + 10
            while d.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(d.proc.returncode, 124)  # the watchdog's "lifetime ran out"
            self.assertTrue(gone(master))
            self.assertTrue(refuses(d.port))
        finally:
            d.stop()


def main() -> int:
    if not dovecot.available():
        print(f"SKIP: {dovecot.DOVECOT} or openssl is missing (Debian packages dovecot-imapd, openssl)")
        return SKIP
    t0 = time.monotonic()
    result = unittest.main(exit=False, verbosity=2).result
    print(f"[total {time.monotonic() - t0:.1f} s]", file=sys.stderr)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
