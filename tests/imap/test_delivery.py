#!/usr/bin/env python3
"""Issue 9 end to end: `chatvault` delivers archived items into real mailboxes over IMAP.

Usage:
    test_delivery.py --chatvault BUILD/chatvault --corpus ../shared/corpus [-v] [unittest args]

Every test starts its own throwaway Dovecot (tests/imap/dovecot.py) and its own temp archive,
runs the real CLI (`delivery set|login|show`, `import`, `deliver`, `deliveries`, `ls`,
`show --eml`, `verify`) and reads the mailboxes back with Python's imaplib (the harness's
fetch). Corpus exports are read in place from --corpus, never copied.

  corpus_through_master_user  three corpus exports (a Russian group chat whose authors are
        phone numbers, mapped to alice/bob/carol by a CSV; a 1:1 chat and a zipped iOS group
        with photo/video/audio filed by --owner) imported with a target set (Dovecot master
        user "{mailbox}*admin", STARTTLS, --ca-file): each user's "WhatsApp Archiver" holds
        exactly that mailbox's items (the Message-IDs of `ls`, none extra, none twice), each
        byte-identical to `show N --eml` (SHA-256), INTERNALDATE = the item's UTC time,
        \\Seen; `deliveries` says delivered with the server's UIDs; `deliver` again and a
        repeated import append nothing.
  sigkill_mid_run_then_resume  a generated 3,000-message 1:1 export imported with --no-deliver;
        `deliver` survives the server dropping its session (SIGTERM to Dovecot's imap process),
        is then SIGKILLed with some but not all messages in the maildir; the next `deliver`
        finds the ones the killed run sent but did not record (already_there = on the server -
        recorded), sends the rest: exactly N messages, no duplicate Message-ID, all delivered
        with the server's UIDs.
  wrong_password  a refused login: every item pending with a reason naming the refused login,
        no folder made, the archive intact (verify); with the right secret, a plain `deliver`
        still reports them pending (backoff) and exits 69; `--ignore-backoff` delivers all.
  over_quota  (with LITERAL+ and without it) bob's items stop at his quota: pending with a quota
        reason, the ones on the server exactly the ones recorded delivered, alice and carol
        delivered; the archive keeps all and verifies; after the quota is raised all arrive once.
  folder_not_creatable  carol's server refuses CREATE: her items pending with a reason naming
        the folder, nothing lands in her INBOX, alice and bob unaffected; fixed, all arrive.
  per_mailbox_logins  `delivery login` per user (own password, --secret-file and --secret-env)
        with AUTH=LOGIN overrides the shared template; a mailbox without one uses the template
        (refused here, pending) until it gets its own.
  xoauth2_tokens  `--auth xoauth2`, one bearer token per mailbox (`delivery login`): delivered,
        the server asked its introspection endpoint about each token; another user's token is
        refused.
  imaps  imaps:// on the implicit-TLS port.
  unrelated_ca_refused  a server certificate from a CA other than --ca-file (or the system
        store) is refused over IMAPS and STARTTLS with a reason about the certificate, and no
        login reaches the server; with the right --ca-file everything arrives.
  cleartext_refused  a server without TLS: imap:// is refused (no STARTTLS) and no password
        is sent, unless --allow-cleartext.
  non_ascii_folder  --folder "Archiv/WhatsApp Café" lands as "Archiv.WhatsApp Caf&AOk-" with
        separator '.' (Maildir++) and as "Archiv/WhatsApp Caf&AOk-" with '/' (LAYOUT=fs).
  secrets_at_rest  after `delivery set` / `delivery login` with distinctive secrets (and the
        secret files deleted), delivery works, and neither secret's bytes (nor their base64)
        appear in any file under the archive folder nor in any output of `delivery set|login|
        show`, `import`, `deliver`, `deliveries`.

Exit 0 when every check holds, 1 otherwise, 77 (skip) when /usr/sbin/dovecot or openssl or
the corpus is missing. About a minute on 2 cores. Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime as dt
import email.parser
import email.policy
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dovecot  # noqa: E402
from dovecot import Dovecot, make_ca, mutf7_encode  # noqa: E402

SKIP = 77
UNAVAILABLE = 69  # "stored, but deliveries wait"
CHATVAULT: str = ""
CORPUS: str = ""

FOLDER = "WhatsApp Archiver"
ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
PASSWORDS = {ALICE: "alice-pw", BOB: "bob pw with spaces", CAROL: "carol-pw"}
MASTER_PW = "master-pw-for-the-archiver"

# A group chat whose authors are phone numbers (13 items, whats_json's own test export).
RU_GROUP = "whats_json/test/data/chats_unique/WhatsApp Chat - Group_NoMedia 2019 RU.txt"
RU_ITEMS = 13
RU_MAPPING = [("+7 982 111-11-11", ALICE), ("+7 903 444-44-44", BOB), ("+7 909 555-55-55", CAROL)]
# A 1:1 Android chat (an unpacked export folder) and a zipped iOS group with media; their
# authors are saved names, so they are filed by --owner (and --owner-name in the group).
PRIVATE_CHAT = "whats-reader/examples/chats/android-private-chat"
MEDIA_ZIP = "whatsapp-chat-parser-website/whatsapp-chat-parser-example.zip"


# ---------------------------------------------------------------------------------------------
# The CLI on one archive

class Vault:
    """A temp archive and the chatvault commands the tests run on it."""

    def __init__(self, tmp: str):
        self.tmp = tmp
        self.archive = os.path.join(tmp, "archive")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CHATVAULT_")}
        self.outputs: list[bytes] = []  # every stdout and stderr, for the secrets test
        self.must("init")

    def run(self, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        p = subprocess.run([CHATVAULT, *args, "--archive", self.archive], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env={**self.env, **(env or {})}, timeout=timeout)
        self.outputs += [p.stdout, p.stderr]
        return p

    def must(self, *args: str, **kw) -> subprocess.CompletedProcess:
        p = self.run(*args, **kw)
        if p.returncode != 0:
            raise AssertionError(describe(args, p))
        return p

    def secret(self, name: str, value: str) -> str:
        path = os.path.join(self.tmp, name + ".secret")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        return path

    def set_target(self, url: str, *options: str, secret: str | None = None) -> None:
        args = ["delivery", "set", "--url", url, *options]
        if secret is not None:
            args += ["--secret-file", self.secret("shared", secret)]
        self.must(*args)

    def set_master_target(self, d: Dovecot, *options: str, secret: str | None = None) -> None:
        """STARTTLS, the master user acting for each mailbox, the server's CA."""
        self.set_target(f"imap://127.0.0.1:{d.port}", "--login", "{mailbox}*" + d.master_user,
                        "--ca-file", d.ca_path, *options,
                        secret=d.master_password if secret is None else secret)

    def login(self, mailbox: str, secret: str, *options: str) -> None:
        self.must("delivery", "login", "--mailbox", mailbox, *options,
                  "--secret-file", self.secret("login-" + mailbox, secret))

    def import_json(self, path: str, *options: str, expect_rc: int | None = 0) -> dict:
        p = self.run("import", path, "--default-region", "DE", "--json", *options)
        if expect_rc is not None and p.returncode != expect_rc:
            raise AssertionError(describe(("import", path, *options), p, f"expected exit {expect_rc}"))
        return json.loads(p.stdout)

    def import_ru_group(self, *options: str, expect_rc: int | None = 0) -> dict:
        csv = os.path.join(self.tmp, "mapping.csv")
        with open(csv, "w", encoding="utf-8") as f:
            f.write("phone,email\n" + "".join(f"{phone},{mail}\n" for phone, mail in RU_MAPPING))
        s = self.import_json(os.path.join(CORPUS, RU_GROUP), "--mapping", csv, "--tz", "Europe/Moscow",
                             *options, expect_rc=expect_rc)
        # The mapping must have filed the chat to all three (else the checks below are empty).
        if s["total"]["new_per_mailbox"] not in ({}, {ALICE: RU_ITEMS, BOB: RU_ITEMS, CAROL: RU_ITEMS}):
            raise AssertionError(f"the RU group was not filed as expected: {s['total']}")
        return s

    def deliver(self, *flags: str, expect_rc: int | None = None) -> tuple[int, dict]:
        p = self.run("deliver", "--json", *flags)
        if expect_rc is not None and p.returncode != expect_rc:
            raise AssertionError(describe(("deliver", *flags), p, f"expected exit {expect_rc}"))
        return p.returncode, json.loads(p.stdout)

    def deliveries(self, *options: str) -> dict:
        return json.loads(self.must("deliveries", "--json", "--limit", "1000000", *options).stdout)

    def ls(self, mailbox: str) -> list[dict]:
        return json.loads(self.must("ls", mailbox, "--json", "--limit", "1000000").stdout)

    def eml(self, item: int) -> bytes:
        return self.must("show", str(item), "--eml").stdout

    def mailboxes(self) -> dict[str, int]:
        return {m["mailbox"]: m["items"] for m in json.loads(self.must("mailboxes", "--json").stdout)}


def describe(args, p: subprocess.CompletedProcess, why: str = "") -> str:
    return (f"`chatvault {' '.join(args)}` exited {p.returncode}{' (' + why + ')' if why else ''}:\n"
            f"{p.stdout.decode(errors='replace')[-3000:]}\n{p.stderr.decode(errors='replace')[-2000:]}")


def message_id(raw: bytes) -> str:
    h = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    return (h["Message-ID"] or "").strip().strip("<>")


def utc(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def mailbox_report(summary: dict, mailbox: str) -> dict:
    for m in summary["mailboxes"]:
        if m["mailbox"] == mailbox:
            return m
    raise AssertionError(f"{mailbox} is not in the delivery summary {summary}")


def imap_sessions(d: Dovecot) -> list[int]:
    """Pids of Dovecot's imap processes (one per logged-in session)."""
    out = []
    for pid in dovecot._children(d.master_pid):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "imap":
                    out.append(pid)
        except OSError:
            pass
    return out


# ---------------------------------------------------------------------------------------------

class DeliveryTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cv-delivery-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.vault = Vault(self.tmp)
        self.t0 = time.monotonic()

    def tearDown(self):
        print(f" [{time.monotonic() - self.t0:.1f} s]", end="", file=sys.stderr, flush=True)

    def server(self, users: dict | None = None, **kw) -> Dovecot:
        kw.setdefault("master_password", MASTER_PW)
        d = Dovecot(PASSWORDS if users is None else users, **kw)
        d.start()
        self.addCleanup(d.stop)
        return d

    # -- shared checks ----------------------------------------------------------------------

    def assert_mailbox_is_archive(self, d: Dovecot, mailbox: str, folder: str = FOLDER,
                                  bytes_too: bool = True) -> list[dovecot.Message]:
        """The folder holds exactly the archive's items for the mailbox, each once, dated with
        its time, \\Seen, byte-identical to `show --eml`, recorded delivered with its UID."""
        items = self.vault.ls(mailbox)
        self.assertTrue(items, f"the archive has no items for {mailbox}")
        msgs = d.fetch(mailbox, folder)
        ids = [message_id(m.raw) for m in msgs]
        dupes = [i for i, n in collections.Counter(ids).items() if n > 1]
        self.assertEqual(dupes, [], f"{mailbox}: Message-IDs on the server more than once")
        self.assertEqual(sorted(ids), sorted(i["message_id"] for i in items),
                         f"{mailbox}: the folder must hold exactly the archive's items")
        by_id = {message_id(m.raw): m for m in msgs}
        rows = {r["message_id"]: r for r in self.vault.deliveries("--mailbox", mailbox)["deliveries"]}
        for item in items:
            m = by_id[item["message_id"]]
            with self.subTest(mailbox=mailbox, item=item["item"]):
                self.assertEqual(m.internaldate, utc(item["utc"]), "INTERNALDATE is the item's time")
                self.assertIn("\\Seen", m.flags)
                if bytes_too:
                    self.assertEqual(hashlib.sha256(m.raw).hexdigest(),
                                     hashlib.sha256(self.vault.eml(item["item"])).hexdigest(),
                                     "the message is the archive's rendering, byte for byte")
                row = rows[item["message_id"]]
                self.assertEqual(row["state"], "delivered")
                self.assertEqual(row.get("uid"), m.uid, "the recorded UID is the server's")
                self.assertNotIn("reason", row)
        return msgs

    def assert_nothing_delivered(self, d: Dovecot, mailbox: str) -> None:
        self.assertEqual([f[2] for f in d.folders(mailbox)], ["INBOX"], f"{mailbox}: no folder made")
        self.assertEqual(d.fetch(mailbox, "INBOX"), [], f"{mailbox}: nothing in INBOX either")

    def assert_pending(self, summary: dict, mailbox: str, items: int, *reason_words: str,
                       recorded: tuple[str, ...] | None = None) -> dict:
        """Every item of the mailbox pending: the run's summary says why (reason_words), and so
        does each item's recorded reason (`recorded`, default the same words)."""
        m = mailbox_report(summary, mailbox)
        self.assertEqual((m["delivered"], m["pending"], m["failed"]), (0, items, 0), m)
        for w in reason_words:
            self.assertIn(w.lower(), m.get("reason", "").lower(), m)
        rows = self.vault.deliveries("--mailbox", mailbox)["deliveries"]
        self.assertEqual(len(rows), items)
        for r in rows:
            self.assertEqual(r["state"], "pending", r)
            self.assertNotIn("uid", r)
            self.assertIn("next_attempt", r)
            for w in reason_words if recorded is None else recorded:
                self.assertIn(w.lower(), r.get("reason", "").lower(), r)
        return m

    def assert_archive_intact(self) -> None:
        self.assertEqual(self.vault.mailboxes(), {ALICE: RU_ITEMS, BOB: RU_ITEMS, CAROL: RU_ITEMS})
        self.vault.must("verify")

    # -- a. a real corpus export, through a master user ------------------------------------

    def test_corpus_through_master_user(self):
        d = self.server()
        v = self.vault
        v.set_master_target(d)
        first = v.import_ru_group()
        self.assertEqual(first["total"]["quarantined"], 0)
        self.assertEqual(first["delivery"]["delivered"], 3 * RU_ITEMS, first["delivery"])
        for mailbox in (ALICE, BOB, CAROL):
            r = mailbox_report(first["delivery"], mailbox)
            self.assertEqual((r["delivered"], r["pending"], r["failed"]), (RU_ITEMS, 0, 0), r)
        second = v.import_json(os.path.join(CORPUS, PRIVATE_CHAT), "--tz", "Europe/Berlin",
                               "--owner", f"+4915112345678={BOB}")
        third = v.import_json(os.path.join(CORPUS, MEDIA_ZIP), "--tz", "Europe/Berlin",
                              "--owner", f"+4915187654321={CAROL}", "--owner-name", "Loris")
        for s, mailbox in ((second, BOB), (third, CAROL)):
            new = s["total"]["new_per_mailbox"]
            self.assertEqual(list(new), [mailbox])
            self.assertGreater(new[mailbox], 20)
            self.assertEqual((s["delivery"]["delivered"], s["delivery"]["pending"], s["delivery"]["failed"]),
                             (new[mailbox], 0, 0), s["delivery"])

        counts = v.mailboxes()
        self.assertEqual(counts[ALICE], RU_ITEMS)
        self.assertGreater(counts[BOB], RU_ITEMS)
        self.assertGreater(counts[CAROL], RU_ITEMS)
        uids = {}
        for mailbox in (ALICE, BOB, CAROL):
            msgs = self.assert_mailbox_is_archive(d, mailbox)
            uids[mailbox] = [(m.uid, message_id(m.raw)) for m in msgs]
            self.assertEqual(d.fetch(mailbox, "INBOX"), [], "nothing goes to INBOX")
        # The zipped export's photo, video and audio went through whole.
        self.assertGreater(max(len(m.raw) for m in d.fetch(CAROL, FOLDER)), 200_000)
        listing = v.deliveries()
        self.assertEqual(listing["mailboxes"], {m: {"delivered": n, "pending": 0, "failed": 0}
                                                for m, n in counts.items()})
        self.assertEqual(len(listing["deliveries"]), sum(counts.values()))

        # Again: nothing is appended twice, whether by `deliver` or a repeated import.
        _, again = v.deliver(expect_rc=0)
        self.assertEqual((again["delivered"], again["already_there"], again["pending"], again["failed"]),
                         (0, 0, 0, 0), again)
        repeat = v.import_ru_group()
        self.assertEqual(repeat["total"]["new"], 0)
        self.assertEqual(repeat["delivery"]["delivered"], 0)
        for mailbox in (ALICE, BOB, CAROL):
            self.assertEqual([(m.uid, message_id(m.raw)) for m in d.fetch(mailbox, FOLDER)], uids[mailbox])

    # -- b. SIGKILL in the middle of a run -------------------------------------------------

    def test_sigkill_mid_run_then_resume(self):
        n = 3000
        # Without an fsync per message (Dovecot's default: ~10 ms each on this machine's disk)
        # the 3,000 messages take seconds, not a minute; what is tested does not change.
        d = self.server({ALICE: PASSWORDS[ALICE]}, extra_conf="mail_fsync = never\n")
        v = self.vault
        export = os.path.join(self.tmp, "WhatsApp Chat with Peer Bench.txt")
        t0 = dt.datetime(2025, 3, 1, 8, 0)
        with open(export, "w", encoding="utf-8", newline="\n") as f:
            for i in range(n):
                author = "Peer Bench" if i % 3 else "Alice Owner"
                extra = " Grüße 👋🏽 naïve café" * (i % 7)
                f.write(f"{t0 + dt.timedelta(minutes=i):%d/%m/%Y, %H:%M} - {author}: message {i}{extra}\n")
        s = v.import_json(export, "--tz", "Europe/Berlin", "--owner", f"+4915112345678={ALICE}", "--no-deliver")
        self.assertEqual(s["total"]["new_per_mailbox"], {ALICE: n})
        self.assertNotIn("delivery", s)
        v.set_master_target(d)

        folder = os.path.join(d.maildir(ALICE), "." + FOLDER)

        def on_disk() -> int:
            return sum(len(os.listdir(os.path.join(folder, sub))) if os.path.isdir(os.path.join(folder, sub))
                       else 0 for sub in ("new", "cur"))

        def wait_for(count: int, proc: subprocess.Popen) -> None:
            deadline = time.monotonic() + 60
            while on_disk() < count:
                self.assertIsNone(proc.poll(), f"deliver ended before {count} messages: use more")
                self.assertLess(time.monotonic(), deadline, f"{on_disk()} messages after 60 s")
                time.sleep(0.003)

        proc = subprocess.Popen([CHATVAULT, "deliver", "--archive", v.archive], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=v.env)
        try:
            # The server drops the session (its imap process is stopped): the run reconnects.
            wait_for(300, proc)
            sessions = imap_sessions(d)
            self.assertEqual(len(sessions), 1)
            os.kill(sessions[0], signal.SIGTERM)
            wait_for(900, proc)
            self.assertIsNone(proc.poll(), "the run went on after the dropped connection")
            proc.kill()
        finally:
            proc.kill()
            proc.wait()
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        # The server may still be finishing the APPEND in flight: wait until the count is stable.
        on_server, stable = -1, 0
        while stable < 3:
            time.sleep(0.2)
            now = len(d.fetch(ALICE, FOLDER))
            stable = stable + 1 if now == on_server else 0
            on_server = now
        self.assertTrue(900 <= on_server < n, on_server)
        before = v.deliveries()
        recorded = before["mailboxes"][ALICE]["delivered"]
        self.assertEqual(before["mailboxes"][ALICE]["pending"], n - recorded)
        self.assertLessEqual(recorded, on_server)

        _, again = v.deliver(expect_rc=0)
        # Each message the killed run sent but did not record is found, not sent again.
        self.assertEqual(again["already_there"], on_server - recorded, again)
        self.assertEqual(again["delivered"], n - on_server, again)
        self.assertEqual((again["pending"], again["failed"]), (0, 0), again)

        msgs = d.fetch(ALICE, FOLDER)
        self.assertEqual(len(msgs), n)
        ids = [message_id(m.raw) for m in msgs]
        self.assertEqual(len(set(ids)), n, "no Message-ID twice")
        self.assertEqual(set(ids), {i["message_id"] for i in v.ls(ALICE)})
        uid_of = {message_id(m.raw): m.uid for m in msgs}
        after = v.deliveries()
        self.assertEqual(after["mailboxes"], {ALICE: {"delivered": n, "pending": 0, "failed": 0}})
        for r in after["deliveries"]:
            self.assertEqual((r["state"], r.get("uid")), ("delivered", uid_of[r["message_id"]]), r)

    # -- c. refusals: nothing lost, then recovered -----------------------------------------

    def test_wrong_password(self):
        d = self.server()
        v = self.vault
        v.set_master_target(d, secret="not-the-master-password")
        s = v.import_ru_group(expect_rc=UNAVAILABLE)
        self.assertEqual((s["delivery"]["delivered"], s["delivery"]["pending"]), (0, 3 * RU_ITEMS))
        for mailbox in (ALICE, BOB, CAROL):
            self.assert_pending(s["delivery"], mailbox, RU_ITEMS, "refused the login", f"{mailbox}*admin")
            self.assert_nothing_delivered(d, mailbox)
        self.assert_archive_intact()

        v.set_master_target(d)
        # Fixed, but the items wait out their backoff: nothing is tried, and the run says so.
        rc, waiting = v.deliver(expect_rc=UNAVAILABLE)
        self.assertEqual((waiting["delivered"], waiting["pending"]), (0, 3 * RU_ITEMS), waiting)
        for mailbox in (ALICE, BOB, CAROL):
            self.assert_pending(waiting, mailbox, RU_ITEMS, "--ignore-backoff", "refused the login",
                                recorded=("refused the login",))
        self.assertEqual([f[2] for f in d.folders(ALICE)], ["INBOX"])

        _, done = v.deliver("--ignore-backoff", expect_rc=0)
        self.assertEqual((done["delivered"], done["pending"], done["failed"]), (3 * RU_ITEMS, 0, 0), done)
        for mailbox in (ALICE, BOB, CAROL):
            self.assert_mailbox_is_archive(d, mailbox)

    def test_over_quota(self):
        no_literal_plus = ("imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE "
                           "CHILDREN UNSELECT UIDPLUS QUOTA\n")
        for literal_plus in (True, False):
            with self.subTest(literal_plus=literal_plus):
                if not literal_plus:
                    self.setUp()  # a fresh archive (and server) per case
                d = self.server(quota={BOB: 8000}, extra_conf="" if literal_plus else no_literal_plus)
                c = d.imap(ALICE)
                self.assertEqual("LITERAL+" in c.capabilities, literal_plus)
                c.logout()
                v = self.vault
                v.set_master_target(d)
                s = v.import_ru_group(expect_rc=UNAVAILABLE)["delivery"]
                for mailbox in (ALICE, CAROL):
                    self.assert_mailbox_is_archive(d, mailbox, bytes_too=False)
                bob = mailbox_report(s, BOB)
                self.assertIn("quota", bob.get("reason", "").lower(), bob)
                self.assertGreater(bob["pending"], 0, bob)
                self.assertEqual((bob["delivered"] + bob["pending"], bob["failed"]), (RU_ITEMS, 0), bob)
                rows = v.deliveries("--mailbox", BOB)["deliveries"]
                delivered = {r["message_id"] for r in rows if r["state"] == "delivered"}
                self.assertEqual(len(delivered), bob["delivered"])
                for r in rows:
                    if r["state"] != "delivered":
                        self.assertEqual(r["state"], "pending")
                        self.assertIn("quota", r["reason"].lower())
                on_server = [message_id(m.raw) for m in d.fetch(BOB, FOLDER)]
                self.assertEqual(sorted(on_server), sorted(delivered), "the server holds what is recorded")
                self.assert_archive_intact()

                # The administrator raises bob's quota (Dovecot re-reads its passwd-file).
                with open(d.passwd_path) as f:
                    users = f.read()
                self.assertIn("storage=8000B", users)
                with open(d.passwd_path, "w") as f:
                    f.write(users.replace("storage=8000B", "storage=100M"))
                time.sleep(1.2)  # it looks at the file at most once a second
                _, done = v.deliver("--ignore-backoff", expect_rc=0)
                self.assertEqual((done["delivered"], done["pending"]), (RU_ITEMS - len(delivered), 0), done)
                self.assert_mailbox_is_archive(d, BOB)

    def test_folder_not_creatable(self):
        d = self.server(no_create=[CAROL])
        v = self.vault
        v.set_master_target(d)
        s = v.import_ru_group(expect_rc=UNAVAILABLE)["delivery"]
        self.assertEqual((s["delivered"], s["pending"]), (2 * RU_ITEMS, RU_ITEMS), s)
        self.assert_pending(s, CAROL, RU_ITEMS, f'folder "{FOLDER}"', "create")
        self.assert_nothing_delivered(d, CAROL)
        for mailbox in (ALICE, BOB):
            self.assert_mailbox_is_archive(d, mailbox, bytes_too=False)
        self.assert_archive_intact()

        # The administrator makes carol's Maildir writable for the mail user.
        md = d.maildir(CAROL)
        os.chown(md, d.mail_uid, d.mail_gid)
        os.chmod(md, 0o700)
        _, done = v.deliver("--ignore-backoff", expect_rc=0)
        self.assertEqual(mailbox_report(done, CAROL)["delivered"], RU_ITEMS, done)
        self.assertEqual(done["delivered"], RU_ITEMS, "alice and bob were done already")
        self.assert_mailbox_is_archive(d, CAROL)

    # -- d. logins, TLS, folder names ------------------------------------------------------

    def test_per_mailbox_logins(self):
        d = self.server(master_user=None)  # no master user: only the users' own logins work
        v = self.vault
        # The shared template (with a secret that is nobody's password) is for the others.
        v.set_target(f"imap://127.0.0.1:{d.port}", "--auth", "login", "--ca-file", d.ca_path,
                     secret="nobody's password")
        v.login(ALICE, PASSWORDS[ALICE])
        v.must("delivery", "login", "--mailbox", BOB, "--secret-env", "CV_TEST_BOB",
               env={"CV_TEST_BOB": PASSWORDS[BOB]})
        s = v.import_ru_group(expect_rc=UNAVAILABLE)["delivery"]
        # Read before this test's own imaplib sessions (IMAP LOGIN, which Dovecot logs as PLAIN).
        log = d.log_text()
        for mailbox in (ALICE, BOB):
            self.assertIn(f"Login: user=<{mailbox}>, method=LOGIN", log)
        self.assertRegex(log, rf"auth failed, 1 attempts in \d+ secs\): user=<{CAROL}>, method=LOGIN")
        self.assertNotIn("method=PLAIN", log)
        for mailbox in (ALICE, BOB):
            self.assert_mailbox_is_archive(d, mailbox)
        self.assert_pending(s, CAROL, RU_ITEMS, f"refused the login of {CAROL}")
        self.assert_nothing_delivered(d, CAROL)

        v.login(CAROL, PASSWORDS[CAROL], "--login", CAROL.upper())  # Dovecot lower-cases logins
        v.deliver("--ignore-backoff", expect_rc=0)
        later = d.log_text()[len(log):]
        self.assertIn(f"Login: user=<{CAROL}>, method=LOGIN", later)
        self.assertNotIn(f"user=<{ALICE}>, method=LOGIN", later, "alice was done already")
        self.assert_mailbox_is_archive(d, CAROL)

    def test_xoauth2_tokens(self):
        d = self.server()
        v = self.vault
        v.set_target(f"imap://127.0.0.1:{d.port}", "--auth", "xoauth2", "--ca-file", d.ca_path)
        v.login(ALICE, d.token(ALICE))
        v.login(BOB, d.token(ALICE))  # the wrong user's token
        v.login(CAROL, d.token(CAROL))
        s = v.import_ru_group(expect_rc=UNAVAILABLE)["delivery"]
        self.assert_pending(s, BOB, RU_ITEMS, f"refused the login of {BOB}")
        self.assert_nothing_delivered(d, BOB)
        v.login(BOB, d.token(BOB))
        v.deliver("--ignore-backoff", expect_rc=0)
        for mailbox in (ALICE, BOB, CAROL):
            self.assert_mailbox_is_archive(d, mailbox, bytes_too=False)
            self.assertIn(d.token(mailbox), d.introspection_requests)
            self.assertIn(f"Login: user=<{mailbox}>, method=XOAUTH2", d.log_text())

    def test_imaps(self):
        d = self.server()
        v = self.vault
        v.set_target(f"imaps://127.0.0.1:{d.imaps_port}", "--login", "{mailbox}*admin", "--ca-file", d.ca_path,
                     secret=d.master_password)
        s = v.import_ru_group()["delivery"]
        self.assertEqual((s["delivered"], s["pending"]), (3 * RU_ITEMS, 0), s)
        for mailbox in (ALICE, BOB, CAROL):
            self.assert_mailbox_is_archive(d, mailbox, bytes_too=mailbox == ALICE)

    def test_unrelated_ca_refused(self):
        d = self.server()
        v = self.vault
        unrelated, _ = make_ca(self.tmp, "unrelated")
        v.import_ru_group("--no-deliver")
        urls = {"imaps": f"imaps://127.0.0.1:{d.imaps_port}", "starttls": f"imap://127.0.0.1:{d.port}"}
        runs = 0
        for name, url in urls.items():
            for ca in (["--ca-file", unrelated], []):  # a wrong private CA; the system's CAs
                with self.subTest(tls=name, ca=ca):
                    v.set_target(url, "--login", "{mailbox}*admin", *ca, secret=d.master_password)
                    _, s = v.deliver("--ignore-backoff", expect_rc=UNAVAILABLE)
                    runs += 1
                    for mailbox in (ALICE, BOB, CAROL):
                        self.assert_pending(s, mailbox, RU_ITEMS, "certificate")
                    # One attempt per run, counted once (also for items never tried before).
                    self.assertEqual({r["attempts"] for r in v.deliveries()["deliveries"]}, {runs})
        self.assertNotIn("Login: user=", d.log_text(), "no login reached the server")
        for mailbox in (ALICE, BOB, CAROL):
            self.assert_nothing_delivered(d, mailbox)
        self.assert_archive_intact()

        v.set_target(urls["imaps"], "--login", "{mailbox}*admin", "--ca-file", d.ca_path)
        v.deliver("--ignore-backoff", expect_rc=0)
        for mailbox in (ALICE, BOB, CAROL):
            self.assert_mailbox_is_archive(d, mailbox, bytes_too=False)

    def test_cleartext_refused(self):
        d = self.server(tls=False, oauth=False)
        v = self.vault
        v.set_target(f"imap://127.0.0.1:{d.port}", "--login", "{mailbox}*admin", secret=d.master_password)
        s = v.import_ru_group(expect_rc=UNAVAILABLE)["delivery"]
        for mailbox in (ALICE, BOB, CAROL):
            self.assert_pending(s, mailbox, RU_ITEMS, "STARTTLS")
        self.assertNotIn("Login: user=", d.log_text(), "no password went out in the clear")
        # A server on this host may be spoken to in the clear when the administrator says so.
        v.set_target(f"imap://127.0.0.1:{d.port}", "--login", "{mailbox}*admin", "--allow-cleartext")
        v.deliver("--ignore-backoff", expect_rc=0)
        self.assert_mailbox_is_archive(d, ALICE, bytes_too=False)

    def test_non_ascii_folder(self):
        for sep, layout, on_disk in ((".", "maildir++", ".Archiv.WhatsApp Caf&AOk-"),
                                     ("/", "fs", "Archiv/WhatsApp Caf&AOk-")):
            with self.subTest(separator=sep, layout=layout):
                if sep == "/":
                    self.setUp()  # a fresh archive (and server) per case
                d = self.server(separator=sep, layout=layout)
                v = self.vault
                v.set_master_target(d, "--folder", "Archiv/WhatsApp Café")
                v.import_ru_group()
                wire = f"Archiv{sep}WhatsApp Caf&AOk-"
                self.assertEqual(wire, "Archiv" + sep + mutf7_encode("WhatsApp Café"))
                for mailbox in (ALICE, BOB, CAROL):
                    folders = {name: delim for _, delim, name in d.folders(mailbox)}
                    self.assertEqual(folders.get(wire), sep, folders)
                    self.assertNotIn(FOLDER, folders)
                    self.assertTrue(os.path.isdir(os.path.join(d.maildir(mailbox), on_disk)))
                    self.assert_mailbox_is_archive(d, mailbox, wire, bytes_too=mailbox == ALICE)
                self.assertEqual(json.loads(v.must("delivery", "show", "--json").stdout)["folder"],
                                 "Archiv/WhatsApp Café")

    # -- e. secrets at rest ----------------------------------------------------------------

    def test_secrets_at_rest(self):
        master = "Qx7-kestrel-MASTER-secret-4e1f"
        own = "Vb2-ocelot-ALICE-own-secret-9c3a"
        d = self.server({**PASSWORDS, ALICE: own}, master_password=master)
        v = self.vault
        v.set_master_target(d)
        v.must("delivery", "login", "--mailbox", ALICE, "--secret-env", "CV_TEST_SECRET",
               env={"CV_TEST_SECRET": own})
        for f in os.listdir(self.tmp):  # the secrets must be kept by the archive, not the files
            if f.endswith(".secret"):
                os.remove(os.path.join(self.tmp, f))
        s = v.import_ru_group()["delivery"]
        self.assertEqual((s["delivered"], s["pending"]), (3 * RU_ITEMS, 0), s)
        self.assertIn(f"Login: user=<{ALICE}>", d.log_text())
        self.assertIn("Master user logging in as bob@example.com", d.log_text())
        for args in (("delivery", "show"), ("delivery", "show", "--json"), ("deliveries",),
                     ("deliveries", "--json"), ("deliveries", "--state", "delivered"), ("deliver",),
                     ("deliver", "--json"), ("mailboxes",)):
            v.run(*args)
        # A refused login's reasons (a wrong password stored, then tried) do not name it either.
        v.set_master_target(d, secret=master + "-but-wrong")
        refused = v.import_json(os.path.join(CORPUS, PRIVATE_CHAT), "--tz", "Europe/Berlin",
                                "--owner", f"+4915112345678={BOB}", expect_rc=UNAVAILABLE)
        self.assertIn("refused the login", mailbox_report(refused["delivery"], BOB)["reason"])
        for args in (("deliver", "--ignore-backoff"), ("deliveries", "--json", "--state", "pending"),
                     ("deliveries",), ("delivery", "show")):
            v.run(*args)

        needles = [x.encode() for x in (master, own, master + "-but-wrong")]
        needles += [base64.b64encode(x) for x in needles]
        for out in v.outputs:
            for needle in needles:
                self.assertNotIn(needle, out)
        files = []
        for root, _, names in os.walk(v.archive):
            for name in names:
                path = os.path.join(root, name)
                files.append(os.path.relpath(path, v.archive))
                with open(path, "rb") as f:
                    data = f.read()
                for needle in needles:
                    self.assertNotIn(needle, data, f"a secret in {path}")
        self.assertIn("chatvault.db", files)


def main() -> int:
    global CHATVAULT, CORPUS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chatvault", required=True)
    ap.add_argument("--corpus", required=True)
    a, rest = ap.parse_known_args()
    CHATVAULT, CORPUS = os.path.abspath(a.chatvault), os.path.abspath(a.corpus)
    if not dovecot.available():
        print(f"SKIP: {dovecot.DOVECOT} or openssl is missing (Debian packages dovecot-imapd, openssl)")
        return SKIP
    missing = [p for p in (RU_GROUP, PRIVATE_CHAT, MEDIA_ZIP) if not os.path.exists(os.path.join(CORPUS, p))]
    if missing:
        print(f"SKIP: not in the corpus at {CORPUS}: {', '.join(missing)}")
        return SKIP
    t0 = time.monotonic()
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    print(f"[total {time.monotonic() - t0:.1f} s]", file=sys.stderr)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
