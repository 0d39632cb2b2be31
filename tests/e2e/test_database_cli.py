#!/usr/bin/env python3
"""The CLI on phone databases, end to end: `parse`, `render` and `import` read Android
msgstore.db and iOS ChatStorage.sqlite from ../shared/corpus in place, never change them, and
give the database fields of the contract; bad input gets a clear error.

    test_database_cli.py --chatvault build/chatvault --corpus ../shared/corpus
"""
import argparse
import csv
import email
import email.policy
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

CHATVAULT = None
CORPUS = None


def run(*args):
    proc = subprocess.run([CHATVAULT, *args], capture_output=True)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sources():
    """(name, database, extra options, expected item count)"""
    ios = os.path.join(CORPUS, "iLEAPP", "josh_ios15_ffs", "AppGroup")
    iped = os.path.join(CORPUS, "IPED", "test-files")
    return [
        ("ios", os.path.join(ios, "ChatStorage.sqlite"),
         ["--call-history", os.path.join(ios, "CallHistory.sqlite"), "--contacts", os.path.join(ios, "ContactsV2.sqlite")],
         36),
        ("android", os.path.join(iped, "test_whatsAppMsgStore.db"),
         ["--contacts", os.path.join(iped, "test_whatsApp.db")], 74),
    ]


class DatabaseCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cv-db-e2e-")

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.tmp])

    def originals(self, db, options):
        files = [db] + [o for o in options if os.path.isfile(o)]
        for f in list(files):
            for side in ("-wal", "-shm"):
                if os.path.exists(f + side):
                    files.append(f + side)
        return {f: sha256(f) for f in files}

    def test_parse_gives_the_database_fields_and_changes_nothing(self):
        for name, db, options, count in sources():
            with self.subTest(name):
                before = self.originals(db, options)
                code, out, err = run("parse", db, *options, "--tz", "Europe/Berlin", "--format", "jsonl")
                self.assertEqual(code, 0, err)
                items = [json.loads(line) for line in out.splitlines()]
                self.assertEqual(len(items), count)
                for item in items:
                    self.assertIn("chat", item)
                    self.assertIn("from_me", item)
                    self.assertIn(item["kind"], ("message", "system", "call"))
                self.assertTrue(any("key_id" in i for i in items))
                self.assertEqual(self.originals(db, options), before, "the originals must not change")
                for side in ("-wal", "-shm", "-journal"):
                    self.assertFalse(os.path.exists(db + side) and (db + side) not in before,
                                     f"reading created {db + side}")

    def test_render_writes_clean_email_with_ids_from_the_message_keys(self):
        for name, db, options, count in sources():
            with self.subTest(name):
                out_dir = os.path.join(self.tmp, "eml-" + name)
                code, _, err = run("render", db, *options, "--out", out_dir)
                self.assertEqual(code, 0, err)
                files = sorted(os.listdir(out_dir))
                self.assertEqual(len(files), count)
                keyed = 0
                for f in files:
                    with open(os.path.join(out_dir, f), "rb") as fh:
                        msg = email.message_from_bytes(fh.read(), policy=email.policy.default)
                    defects = list(msg.defects) + [d for p in msg.walk() for d in p.defects]
                    self.assertEqual(defects, [], f)
                    if msg["X-WhatsApp-Message-Key"]:
                        keyed += 1
                        # Ids keep [A-Z0-9_-] (spec §E.3); a made-up call key loses its punctuation.
                        key = "".join(c for c in str(msg["X-WhatsApp-Message-Key"]).upper()
                                      if c.isalnum() or c in "-_")
                        self.assertIn(key, str(msg["Message-ID"]), f)
                self.assertGreater(keyed, 0)

    def test_import_is_idempotent_and_verifies(self):
        archive = os.path.join(self.tmp, "archive")
        self.assertEqual(run("init", "--archive", archive)[0], 0)
        for name, db, options, count in sources():
            with self.subTest(name):
                args = ["import", db, *options, "--archive", archive, "--owner", "+4915112345678=owner@example.com",
                        "--json"]
                code, out, err = run(*args)
                self.assertEqual(code, 0, err)
                total = json.loads(out)["total"]
                self.assertEqual((total["seen"], total["new"], total["quarantined"]), (count, count, 0))
                code, out, err = run(*args)
                self.assertEqual(code, 0, err)
                total = json.loads(out)["total"]
                self.assertEqual((total["new"], total["duplicate"]), (0, count))
        code, out, err = run("verify", "--archive", archive, "--json")
        self.assertEqual(code, 0, out + err)
        self.assertTrue(json.loads(out)["ok"])

    def test_ios_calls_import_as_call_items_and_render_as_call_records(self):
        """CallHistory.sqlite's calls: each one archived as a call item whose email is a call
        record (kind, media, result, direction and duration as the database holds them)."""
        name, db, options, count = sources()[0]
        code, out, err = run("parse", db, *options, "--format", "jsonl")
        self.assertEqual(code, 0, err)
        calls = {i["key_id"]: i for i in map(json.loads, out.splitlines()) if i["kind"] == "call"}
        self.assertEqual(len(calls), 4)
        archive = os.path.join(self.tmp, "archive")
        self.assertEqual(run("init", "--archive", archive)[0], 0)
        code, _, err = run("import", db, *options, "--archive", archive, "--owner",
                           "+19195794674=owner@example.com", "--tz", "UTC", "--json")
        self.assertEqual(code, 0, err)
        code, out, err = run("ls", "owner@example.com", "--archive", archive, "--json")
        self.assertEqual(code, 0, err)
        archived = [i for i in json.loads(out) if i["kind"] == "call"]
        self.assertEqual(len(archived), len(calls))
        for entry in archived:
            code, eml, err = run("show", str(entry["item"]), "--archive", archive, "--eml")
            self.assertEqual(code, 0, err)
            msg = email.message_from_string(eml, policy=email.policy.default)
            self.assertEqual(msg["X-WhatsApp-Kind"], "call")
            call = calls[str(msg["X-WhatsApp-Message-Key"])]["call"]
            header = str(msg["X-WhatsApp-Call"])
            self.assertIn(f"{call['media']}; result={call['result']}", header)
            self.assertIn("direction=" + ("outgoing" if call["outgoing"] else "incoming"), header)
            self.assertIn(f"duration={call['duration']}", header)
            self.assertIn(f"{call['media']} call", str(msg["Subject"]).lower())

    def test_contacts_lists_the_address_book_and_starts_a_mapping_file(self):
        ios = os.path.join(CORPUS, "iLEAPP", "josh_ios15_ffs", "AppGroup")
        books = [("android", os.path.join(CORPUS, "IPED", "test-files", "test_whatsApp.db"), 384),
                 ("ios", os.path.join(ios, "ContactsV2.sqlite"), 9)]
        for name, db, count in books:
            with self.subTest(name):
                before = self.originals(db, [])
                code, out, err = run("contacts", db)
                self.assertEqual(code, 0, err)
                entries = [json.loads(line) for line in out.splitlines()]
                self.assertEqual(len(entries), count)
                for e in entries:
                    self.assertEqual(set(e), {"jid", "phone", "name", "wa_name", "number", "label", "about",
                                              "about_utc", "contact_id"})
                    if e["phone"]:
                        self.assertRegex(e["phone"], r"^\+[0-9]+$")
                        self.assertIn(e["phone"][1:], e["jid"] or e["number"].replace(" ", ""))

                code, out, err = run("contacts", db, "--format", "csv")
                self.assertEqual(code, 0, err)
                rows = list(csv.reader(io.StringIO(out)))
                self.assertEqual(rows[0], ["Name", "Phone", "Email"])
                phones = [r[1] for r in rows[1:]]
                self.assertEqual(len(phones), len(set(phones)), "one row per number")
                self.assertEqual(set(phones), {e["phone"] for e in entries if e["phone"]})
                self.assertTrue(all(r[2] == "" for r in rows[1:]), "emails are the administrator's to fill")
                self.assertEqual(self.originals(db, []), before, "the originals must not change")

        code, _, err = run("contacts", os.path.join(ios, "ChatStorage.sqlite"))
        self.assertEqual(code, 64, err)
        self.assertIn("ChatStorage.sqlite is neither a WhatsApp wa.db", err)
        code, _, err = run("contacts", os.path.join(self.tmp, "nothing.db"))
        self.assertEqual(code, 66, err)

    def test_an_encrypted_backup_and_another_apps_database_get_clear_errors(self):
        crypt = os.path.join(self.tmp, "msgstore.db.crypt15")
        with open(crypt, "wb") as f:
            f.write(os.urandom(4096))
        code, _, err = run("parse", crypt)
        self.assertNotEqual(code, 0)
        self.assertIn("decrypt", err)

        other = os.path.join(self.tmp, "notes.db")
        con = sqlite3.connect(other)
        con.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)")
        con.commit()
        con.close()
        code, _, err = run("parse", other)
        self.assertEqual(code, 64, err)
        self.assertIn("notes", err)


def main():
    global CHATVAULT, CORPUS
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatvault", required=True)
    ap.add_argument("--corpus", required=True)
    a, rest = ap.parse_known_args()
    CHATVAULT = os.path.abspath(a.chatvault)
    CORPUS = os.path.abspath(a.corpus)
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=1).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
