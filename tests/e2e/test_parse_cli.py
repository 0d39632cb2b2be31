#!/usr/bin/env python3
"""End-to-end tests of `chatvault parse` on inputs generated here: zips in every shape,
broken and hostile files. Each asserts what a person would see: exit status, the error or
warning text (naming file and line), and that what could be read was kept.

    test_parse_cli.py --chatvault build/chatvault
"""
import argparse
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zipfile
import zlib

CHATVAULT = None


def run(*args, cwd=None):
    """Runs chatvault in a child and returns (exit code, stdout, stderr, peak RSS in KiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:
            try:
                if cwd:
                    os.chdir(cwd)
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                os.execv(CHATVAULT, [CHATVAULT, *args])
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        out.seek(0)
        err.seek(0)
        return os.waitstatus_to_exitcode(status), out.read().decode(), err.read().decode(), usage.ru_maxrss


_BASELINE_KIB = None


def baseline_rss_kib():
    """Peak RSS of parsing a three-line export: what the binary and its libraries cost before
    any input does (several times more under ASan). Memory bounds are stated above it."""
    global _BASELINE_KIB
    if _BASELINE_KIB is None:
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "tiny.txt")
            with open(p, "w", encoding="utf-8") as f:
                f.write(ANDROID)
            _BASELINE_KIB = run("parse", p, "--format", "summary")[3]
    return _BASELINE_KIB


def items(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


ANDROID = "".join(f"{d:02d}/03/2024, 10:{m:02d} - Ana: message {d}-{m}\n" for d in range(13, 16) for m in range(3))


class ParseCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cv-e2e-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return p

    # ---- containers ------------------------------------------------------------------

    def test_txt_zip_and_folder_give_the_same_items(self):
        txt = self.write("WhatsApp Chat with Ana.txt", ANDROID)
        z = self.path("export.zip")
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("WhatsApp Chat with Ana.txt", ANDROID)
        folder = self.path("unpacked")
        os.mkdir(folder)
        shutil.copy(txt, folder)
        outputs = []
        for p in (txt, z, folder):
            code, out, err, _ = run("parse", p, "--format", "jsonl")
            self.assertEqual(code, 0, err)
            outputs.append(items(out))
        self.assertEqual(len(outputs[0]), 9)
        self.assertEqual(outputs[0], outputs[1])
        self.assertEqual(outputs[0], outputs[2])

    def test_zip_picks_chat_text_over_a_text_attachment_and_skips_macosx(self):
        z = self.path("ios.zip")
        chat = "[1/13/24, 10:00:00] Ada: \u200e<attached: 00000002-notes.txt>\r\n[1/13/24, 10:01:00] Bob: ok"
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("00000002-notes.txt", "01/01/2024, 10:00 - not: the chat")
            zf.writestr("__MACOSX/._chat.txt", "\0\0")
            zf.writestr("_chat.txt", chat)
        code, out, err, _ = run("parse", z)
        self.assertEqual(code, 0, err)
        got = items(out)
        self.assertEqual([i["author"] for i in got], ["Ada", "Bob"])
        self.assertTrue(got[0]["attachments"][0]["present"])

    def test_entry_names_with_nbsp_and_emoji_link_attachments(self):
        z = self.path("e.zip")
        name = "Plan\u00a0🚀 v2.pdf"
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("WhatsApp Chat with Zoë 🌷.txt", f"13/03/2024, 10:00 - Zoë: {name} (file attached)\n")
            zf.writestr(name, b"%PDF")
        code, out, err, _ = run("parse", z)
        self.assertEqual(code, 0, err)
        att = items(out)[0]["attachments"][0]
        self.assertEqual(att["name"], name)
        self.assertTrue(att["present"])
        self.assertEqual(att["size"], 4)

    # ---- bad input --------------------------------------------------------------------

    def test_not_an_export_fails_naming_the_file(self):
        p = self.write("shopping.txt", "milk\neggs\n")
        code, out, err, _ = run("parse", p)
        self.assertNotEqual(code, 0)
        self.assertEqual(out, "")
        self.assertIn("shopping.txt", err)
        self.assertIn("not a chat export", err)

    def test_binary_and_empty_files_fail_cleanly(self):
        for name, data in (("empty.txt", b""), ("random.bin", os.urandom(70000))):
            code, _, err, _ = run("parse", self.write(name, data))
            self.assertNotEqual(code, 0, name)
            self.assertIn(name, err)

    def test_missing_path(self):
        code, _, err, _ = run("parse", self.path("nope.zip"))
        self.assertEqual(code, 66)
        self.assertIn("nope.zip", err)

    def test_truncated_zip_is_a_clear_error(self):
        z = self.path("full.zip")
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("_chat.txt", ANDROID * 50)
        data = open(z, "rb").read()
        cut = self.write("cut.zip", data[: len(data) * 2 // 3])
        code, _, err, _ = run("parse", cut)
        self.assertNotEqual(code, 0)
        self.assertIn("cut.zip", err)
        self.assertIn("truncated or damaged", err)

    def test_corrupt_entry_data_keeps_what_was_read(self):
        body = "".join(f"13/03/2024, 10:{i % 60:02d} - Ana: line {i} " + "x" * (i % 97) + "\n" for i in range(20000))
        z = self.path("bad.zip")
        with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("_chat.txt", body)
        data = bytearray(open(z, "rb").read())
        # Overwrite bytes deep inside the stored entry: the CRC check fails at the end.
        mid = len(data) // 2
        data[mid:mid + 4] = b"\x00\xff\x00\xff"
        p = self.write("crc.zip", bytes(data))
        code, out, err, _ = run("parse", p)
        self.assertEqual(code, 0, err)  # items were read, so not a failure
        self.assertGreater(len(items(out)), 10000)
        self.assertIn("crc.zip", err)
        self.assertIn("reading stopped", err)

    def test_invalid_utf8_is_repaired_with_file_and_line(self):
        p = self.write("bad.txt", b"13/03/2024, 10:00 - Ana: ok\n13/03/2024, 10:01 - Ana: caf\xe9\n")
        code, out, err, _ = run("parse", p)
        self.assertEqual(code, 0)
        self.assertEqual(items(out)[1]["text"], "caf\ufffd")
        self.assertIn("bad.txt:2", err)
        self.assertIn("invalid UTF-8", err)

    def test_100mb_line_is_cut_with_bounded_memory(self):
        p = self.path("long.txt")
        with open(p, "wb") as f:
            f.write(b"13/03/2024, 10:00 - Ana: start\n")
            f.write(b"13/03/2024, 10:01 - Ana: ")
            chunk = b"y" * (1 << 20)
            for _ in range(100):
                f.write(chunk)
            f.write(b"\n13/03/2024, 10:02 - Ana: after\n")
        code, out, err, rss_kib = run("parse", p, "--format", "summary")
        self.assertEqual(code, 0, err)
        self.assertIn("3 message", out)
        self.assertIn("long.txt:2", out)
        self.assertIn("cut there", out)
        self.assertLess(rss_kib, baseline_rss_kib() + 56 * 1024, "peak RSS must not follow the line length")

    def test_many_continuation_lines_are_bounded(self):
        p = self.path("flood.txt")
        with open(p, "wb") as f:
            f.write(b"13/03/2024, 10:00 - Ana: start\n")
            line = b"continuation " * 8 + b"\n"
            for _ in range((40 << 20) // len(line)):
                f.write(line)
            f.write(b"13/03/2024, 10:02 - Ana: after\n")
        code, out, err, rss_kib = run("parse", p, "--format", "jsonl")
        self.assertEqual(code, 0, err)
        got = items(out)
        self.assertEqual(len(got), 2)
        self.assertEqual(got[1]["text"], "after")
        self.assertIn("the rest is cut", err)
        self.assertLess(rss_kib, baseline_rss_kib() + 88 * 1024)

    def test_unsafe_zip_entry_names_are_ignored_and_reported(self):
        z = self.path("evil.zip")
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("_chat.txt", "[1/13/24, 10:00:00] Ada: \u200e<attached: passwd>\r\n")
            zf.writestr("../../etc/passwd", "root:x:0:0")
            zf.writestr("/abs/passwd", "root:x:0:0")
        code, out, err, _ = run("parse", z)
        self.assertEqual(code, 0, err)
        self.assertFalse(items(out)[0]["attachments"][0]["present"])
        self.assertIn("unsafe path", err)
        self.assertIn("../../etc/passwd", err)

    def test_zip_bomb_is_refused(self):
        z = self.path("bomb.zip")
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            with zf.open("_chat.txt", "w") as entry:
                entry.write(b"13/03/2024, 10:00 - Ana: hi\n")
                block = b"\0" * (1 << 20)
                for _ in range(300):
                    entry.write(block)
        code, _, err, rss_kib = run("parse", z)
        self.assertNotEqual(code, 0)
        self.assertIn("zip bomb", err)
        self.assertLess(rss_kib, baseline_rss_kib() + 56 * 1024)

    def test_entry_that_lies_about_its_size_is_stopped(self):
        z = self.path("liar.zip")
        body = ANDROID * 200
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("_chat.txt", body)
        data = bytearray(open(z, "rb").read())
        small = 1000
        # Local header: uncompressed size at offset 22; central directory entry: offset 24.
        struct.pack_into("<I", data, 22, small)
        cd = data.rfind(b"PK\x01\x02")
        struct.pack_into("<I", data, cd + 24, small)
        p = self.write("liar2.zip", bytes(data))
        code, out, err, _ = run("parse", p)
        self.assertIn("liar2.zip", err)
        if code == 0:  # what came before the lie is kept
            self.assertIn("declared size", err)
            self.assertLessEqual(sum(len(i["text"]) for i in items(out)), small)

    def test_encrypted_zip_says_so(self):
        if shutil.which("zip") is None:
            self.skipTest("zip(1) not installed")
        src = self.write("_chat.txt", ANDROID)
        z = self.path("locked.zip")
        subprocess.run(["zip", "-q", "-j", "-P", "secret", z, src], check=True)
        code, _, err, _ = run("parse", z)
        self.assertNotEqual(code, 0)
        self.assertIn("encrypted", err)

    def test_exit_zero_when_some_paths_fail_is_not_hidden(self):
        good = self.write("good.txt", ANDROID)
        bad = self.write("bad.txt", "nothing\n")
        code, out, err, _ = run("parse", good, bad)
        self.assertNotEqual(code, 0)
        self.assertEqual(len(items(out)), 9)
        self.assertIn("bad.txt", err)

    # ---- options ----------------------------------------------------------------------

    def test_date_order_override_and_summary_evidence(self):
        p = self.write("amb.txt", "03/06/2018, 10:00 - A: x\n")
        code, out, _, _ = run("parse", p, "--format", "summary")
        self.assertEqual(code, 0)
        self.assertIn("date order:  dmy", out)
        self.assertIn("assumed", out)
        code, out, _, _ = run("parse", p, "--date-order", "mdy")
        self.assertEqual(items(out)[0]["wall_clock"], "2018-03-06T10:00:00")
        code, _, err, _ = run("parse", p, "--date-order", "dym")
        self.assertNotEqual(code, 0)

    def test_time_zone(self):
        p = self.write("tz.txt", "13/07/2024, 10:00 - A: x\n")
        _, out, _, _ = run("parse", p, "--tz", "America/New_York")
        self.assertEqual(items(out)[0]["utc"], "2024-07-13T14:00:00Z")
        code, _, err, _ = run("parse", p, "--tz", "Not/AZone")
        self.assertEqual(code, 64)
        self.assertIn("Not/AZone", err)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatvault", required=True)
    a, rest = ap.parse_known_args()
    CHATVAULT = os.path.abspath(a.chatvault)
    result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    print(f"{result.testsRun - len(result.failures) - len(result.errors)} passed, "
          f"{len(result.failures) + len(result.errors)} failed")
    sys.exit(0 if result.wasSuccessful() else 1)
