#!/usr/bin/env python3
"""`chatvault export QUERY --to DIR` end to end: the eDiscovery export of a search's results.

Usage:
    test_export.py [--chatvault BUILD/chatvault] [--keep] [--seed N] [--big N]

Two archives built from generated Android exports through the real CLI:

* small: a group chat mapped to two mailboxes (ana@, bob@ by the mapping CSV), a 1:1 chat filed
  to its owner (helena@), a chat nobody is mapped in (quarantine), with stored attachments and a
  planted word. Each export is checked against what this script computes itself: which items
  hold the word (from the generated text), which mailboxes each chat's items are in (from the
  mapping); every load-file row against its file (exists, SHA-256 recomputed, size), every
  manifest line against its file (and `sha256sum -c` when present), every file's bytes against
  `chatvault show --eml`, its Message-ID and Subject against the load file; --dedupe, custodians,
  --mailbox, the zip against the folder, the refusals.
* big (--big messages, default 12000, 2% attachments): the export, with --dedupe and without
  (hard-linked files), and with --zip (and --dedupe), killed with SIGKILL at several points (after a delay, once files exist,
  once the load file has rows) and run again until it finishes; the result must equal an
  uninterrupted export's load file byte for byte (no duplicate, no gap), pass every check
  above, and hold exactly the placements `ls` and `quarantine ls` list; a resumed zip must pass
  zipfile and `unzip -t`, hold one entry per load-file file hashing to its row and the manifest,
  and equal the uninterrupted zip's entries (names, order, bytes).

Exit 0 when every check holds, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import hashlib
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "archive"))
from cvarchive import Chat, Msg, Vault, common_args, run_in_temp  # noqa: E402

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
PDF = b"%PDF-1.4\n" + b"0" * 9000 + b"\n%%EOF\n"
UK = "+44 7700 900461"  # ana@bank.example
DE = "+49 170 9876543"  # bob@corp.example
OWNER = "+4915112345678"  # helena@bank.example, --owner of the 1:1 chat
HEADER = ["DocID", "ItemID", "MessageID", "Custodian", "Mailbox", "Folder", "SentUTC", "From", "To", "Subject",
          "AttachmentNames", "SHA256", "Size", "DuplicateOf", "Path"]
VOCAB = "alpha bravo delta echo golf hotel india kilo lima mike oscar papa market desk trade swap".split()
PLACED = {"Project Falcon": ["ana@bank.example", "bob@corp.example"], "Bob Miller": ["helena@bank.example"],
          "Night Shift": []}
AUTHORS = {"Project Falcon": [UK, DE, "Carol Jones, Jr."], "Bob Miller": ["Bob Miller", "Helena Brandt"],
           "Night Shift": ["Zed Zulu", "Yan Yellow"]}


def sha(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_chats(rnd: random.Random, per_chat: int, media_share: float, start: dt.datetime) -> tuple[dict, dict]:
    """Chats and, per chat, the generated messages (text, whether it carries a stored file)."""
    chats, truth = {}, {}
    for ci, (name, authors) in enumerate(AUTHORS.items()):
        msgs, media, facts = [], {}, []
        when = start + dt.timedelta(hours=ci)
        for k in range(per_chat):
            when += dt.timedelta(minutes=rnd.randrange(1, 30))
            words = [rnd.choice(VOCAB) for _ in range(rnd.randrange(3, 9))]
            if rnd.random() < 0.2:
                words.insert(rnd.randrange(len(words) + 1), "ledger")
            text = " ".join(words)
            if k % 11 == 3:
                text += ', with "quotes", commas\nand a second line'
            attachment = None
            if rnd.random() < media_share:
                attachment = f"IMG-{ci}{k:06d}.jpg" if k % 2 else f"report {ci}-{k}, final.pdf"
                media[attachment] = (JPEG + k.to_bytes(4, "big")) if k % 2 else PDF + k.to_bytes(4, "big")
            msgs.append(Msg(when, rnd.choice(authors), text, attachment=attachment))
            facts.append({"text": text, "attachment": attachment, "utc": when.replace(tzinfo=dt.timezone.utc)})
        chats[name] = Chat(name, msgs, media)
        truth[name] = facts
    return chats, truth


def build(v: Vault, tmp: str, chats: dict) -> None:
    v.init()
    mapping = os.path.join(tmp, "users.csv")
    with open(mapping, "w") as fh:
        fh.write(f"phone,email\n{UK},ana@bank.example\n{DE},bob@corp.example\n")
    common = ["--tz", "UTC", "--mapping", mapping, "--no-deliver"]
    for name, c in chats.items():
        path = c.write(os.path.join(tmp, "in", name.replace(" ", "_")), "folder")
        extra = ["--owner", f"{OWNER}=helena@bank.example"] if name == "Bob Miller" else []
        v.import_json(path, *common, *extra)


def read_load_file(f, out: str) -> list[dict]:
    with open(os.path.join(out, "loadfile.csv"), "rb") as fh:
        raw = fh.read()
    f.check(raw.startswith(",".join(HEADER).encode() + b"\r\n"), "load file header", raw[:200].decode("utf-8", "replace"))
    f.check(raw.endswith(b"\r\n"), "load file ends with CRLF")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    return [dict(zip(HEADER, r)) for r in rows[1:]]


def check_export(f, v: Vault, out: str, expected: dict[int, list[str]], custodians: dict[str, str], dedupe: bool,
                 label: str, eml_check: bool = True, ordered: bool = True, errors: bool = False) -> list[dict]:
    """expected: item id -> the mailboxes it must have rows for ([] = quarantine). ordered: rows
    in item order (not after a run that retried failed items); errors: errors.csv expected."""
    rows = read_load_file(f, out)
    want = {(i, m) for i, ms in expected.items() for m in (ms or [""])}
    got = [(int(r["ItemID"]), r["Mailbox"]) for r in rows]
    f.check(len(got) == len(set(got)), f"{label}: no duplicate row", str(len(got) - len(set(got))))
    f.check(set(got) == want, f"{label}: one row per item per mailbox, none missing ({len(want)})",
            f"missing {sorted(want - set(got))[:5]}, extra {sorted(set(got) - want)[:5]}")
    f.check(len({r["DocID"] for r in rows}) == len(rows), f"{label}: document ids unique")
    if ordered:
        f.check([int(r["ItemID"]) for r in rows] == sorted(int(r["ItemID"]) for r in rows), f"{label}: rows in item order")
    by_doc = {r["DocID"]: r for r in rows}
    files_on_disk = set()
    for root, _dirs, names in os.walk(out):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), out)
            if not rel.startswith(".chatvault-export"):
                files_on_disk.add(rel)
    emls = {p for p in files_on_disk if p.endswith(".eml")}
    f.check(not [p for p in files_on_disk if p.endswith(".part")], f"{label}: no temporary file left")
    row_files = set()
    bad = []
    for r in rows:
        mb = r["Mailbox"]
        item = int(r["ItemID"])
        if not mb:
            if r["Folder"] != "Quarantine" or r["Custodian"] != "(quarantine)" or not r["Path"].startswith("quarantine/"):
                bad.append(("quarantine layout", r["DocID"], r["Path"]))
        else:
            cust = custodians.get(mb, mb)
            if r["Custodian"] != cust or r["Folder"] != "WhatsApp Archiver":
                bad.append(("custodian/folder", r["DocID"], r["Custodian"]))
            if not r["DuplicateOf"] and r["Path"] != f"custodians/{cust}/{mb}/WhatsApp Archiver/{item:010d}.eml":
                bad.append(("path", r["DocID"], r["Path"]))
        if r["DuplicateOf"]:
            first = by_doc.get(r["DuplicateOf"])
            if not dedupe or not first or int(first["ItemID"]) != item or first["Path"] != r["Path"] or first["DuplicateOf"]:
                bad.append(("duplicate-of", r["DocID"], r["DuplicateOf"]))
        else:
            row_files.add(r["Path"])
        path = os.path.join(out, r["Path"])
        if not os.path.isfile(path):
            bad.append(("missing file", r["DocID"], r["Path"]))
            continue
        if sha(path) != r["SHA256"] or os.path.getsize(path) != int(r["Size"]):
            bad.append(("hash/size", r["DocID"], r["Path"]))
        if not r["SentUTC"].endswith("Z") or len(r["SentUTC"]) != 20:
            bad.append(("sent", r["DocID"], r["SentUTC"]))
    f.check(not bad, f"{label}: every row's file exists with its SHA-256 and size, laid out by custodian/mailbox",
            repr(bad[:5]))
    f.check(emls == row_files, f"{label}: the .eml files are exactly the load file's ({len(row_files)})",
            f"extra {sorted(emls - row_files)[:3]}, missing {sorted(row_files - emls)[:3]}")
    if dedupe:
        f.check(len(row_files) == len(expected), f"{label}: --dedupe writes one file per item")
        f.equal(sum(1 for r in rows if r["DuplicateOf"]), len(want) - len(expected), f"{label}: duplicate-of rows")
    else:
        f.check(not any(r["DuplicateOf"] for r in rows), f"{label}: no duplicate-of without --dedupe")
    # The manifest: sha256sum format, every exported file, hashes recomputed here.
    with open(os.path.join(out, "manifest.sha256"), encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    listed = {}
    malformed = []
    for ln in lines:
        h, sep, p = ln.partition("  ")
        if sep != "  " or len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
            malformed.append(ln)
        listed[p] = h
    f.check(not malformed and len(listed) == len(lines), f"{label}: manifest lines are `<sha256>  <path>`, one per file",
            repr(malformed[:3]))
    f.check(set(listed) == row_files | {"loadfile.csv", "summary.json", "summary.txt"} | ({"errors.csv"} if errors else set()),
            f"{label}: the manifest lists every exported file", str(sorted(set(listed) ^ (row_files | {"loadfile.csv"}))[:4]))
    wrong = [p for p, h in listed.items() if not os.path.isfile(os.path.join(out, p)) or sha(os.path.join(out, p)) != h]
    f.check(not wrong, f"{label}: every manifest hash matches its file", str(wrong[:3]))
    if shutil.which("sha256sum"):
        p = subprocess.run(["sha256sum", "-c", "--quiet", "manifest.sha256"], cwd=out, capture_output=True)
        f.check(p.returncode == 0, f"{label}: sha256sum -c manifest.sha256 passes", p.stdout.decode()[-300:] + p.stderr.decode()[-300:])
    # The summary.
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as fh:
        s = json.load(fh)
    f.check(os.path.exists(os.path.join(out, "errors.csv")) == errors, f"{label}: errors.csv {'present' if errors else 'absent'}")
    f.equal((s["items"], s["rows"], s["files"], s["quarantined"]),
            (len(expected), len(want), len(row_files), sum(1 for ms in expected.values() if not ms)),
            f"{label}: summary counts")
    f.equal(s["bytes"], sum(os.path.getsize(os.path.join(out, p)) for p in row_files), f"{label}: summary bytes")
    per = {}
    for r in rows:
        c = per.setdefault(r["Custodian"], 0)
        per[r["Custodian"]] = c + 1
    f.equal({k: v["rows"] for k, v in s["per_custodian"].items()}, per, f"{label}: per-custodian rows")
    # Bytes as archived, and the load file's Message-ID and Subject are the email's.
    if eml_check:
        mismatched = []
        for r in rows:
            if r["DuplicateOf"]:
                continue
            with open(os.path.join(out, r["Path"]), "rb") as fh:
                data = fh.read()
            if data != v.must("show", r["ItemID"], "--eml").raw:
                mismatched.append(("bytes", r["Path"]))
            m = email.message_from_bytes(data, policy=email.policy.default)
            if m["Message-ID"].strip("<>") != r["MessageID"].strip("<>") or str(m["Subject"]) != r["Subject"]:
                mismatched.append(("headers", r["Path"], m["Subject"], r["Subject"]))
        f.check(not mismatched, f"{label}: every file is `show --eml`'s bytes; Message-ID and Subject match", repr(mismatched[:3]))
    return rows


def check_zip(f, zpath: str, folder: str) -> dict[str, str]:
    """The zip opens with Python's zipfile and `unzip -t`, holds exactly the manifest's files and
    the manifest, every entry hashes to its manifest line, and the folder's own files (load
    file, summaries, errors, manifest) equal their entries. Returns the manifest (path -> hash)."""
    label = os.path.basename(zpath)
    with zipfile.ZipFile(zpath) as z:
        f.check(z.testzip() is None, f"{label}: every entry's CRC checks (zipfile)")
        names = set(z.namelist())
        f.check(len(names) == len(z.namelist()), f"{label}: no entry twice")
        manifest = z.read("manifest.sha256").decode("utf-8")
        want = {}
        for ln in manifest.splitlines():
            digest, _, path = ln.partition("  ")
            want[path] = digest
        f.check(names == set(want) | {"manifest.sha256"}, f"{label}: holds the manifest's files and the manifest",
                str(sorted(names ^ (set(want) | {"manifest.sha256"}))[:4]))
        bad = [n for n, d in want.items() if n in names and hashlib.sha256(z.read(n)).hexdigest() != d]
        f.check(not bad, f"{label}: every entry's bytes hash to the manifest ({len(want)})", str(bad[:3]))
        local = [n for n in names if os.path.exists(os.path.join(folder, n))]
        diff = [n for n in local if z.read(n) != open(os.path.join(folder, n), "rb").read()]
        f.check("manifest.sha256" in local and not diff, f"{label}: the folder's files equal their entries", str(diff[:3]))
    r = subprocess.run(["unzip", "-tq", zpath], capture_output=True, text=True)  # installed by scripts/
    f.check(r.returncode == 0, f"{label}: unzip -t passes", (r.stdout + r.stderr)[-300:])
    return want


def body(tmp, f, args):
    rnd = random.Random(args.seed)
    # ---- small archive: every check, every option.
    chats, truth = make_chats(rnd, 40, 0.15, dt.datetime(2026, 3, 1))
    v = Vault(args.chatvault, os.path.join(tmp, "archive"))
    build(v, tmp, chats)
    # Item numbers: `show` for each, matched to the generated messages by chat and time.
    ident = {}
    n = 0
    while True:
        r = v.run("show", str(n + 1), "--json")
        if r.rc != 0:
            break
        n += 1
        s = r.json()
        ident[n] = (s["conversation"], s["utc"], s["text"])
    f.equal(n, sum(len(t) for t in truth.values()), "every generated message is archived")
    ledger = {}
    everything = {}
    for i, (chat, utc, _text) in ident.items():
        fact = next(x for x in truth[chat] if x["utc"].strftime("%Y-%m-%dT%H:%M:%SZ") == utc)
        everything[i] = PLACED[chat]
        if "ledger" in fact["text"].split():
            ledger[i] = PLACED[chat]
    f.check(len(ledger) > 10 and any(not m for m in ledger.values()), "the planted word is in every kind of chat")

    out1 = os.path.join(tmp, "out1")
    r = v.must("export", "ledger", "--to", out1, "--json")
    j = r.json()
    f.equal((j["items"], j["resumed_from"]), (len(ledger), 0), "export reports its items")
    check_export(f, v, out1, ledger, {}, False, "ledger")

    # An option where --zip's path belongs is refused, not taken for a file name.
    r = v.run("export", "ledger", "--to", os.path.join(tmp, "out-bad-zip"), "--zip", "--dedupe")
    f.check(r.rc == 64 and "--zip wants the zip file's path" in r.err and not os.path.exists("--dedupe")
            and not os.path.exists(os.path.join(tmp, "out-bad-zip")), "--zip --dedupe: a usage error, nothing written",
            r.err[-300:])

    # --dedupe, custodians, a title, a zip.
    out2 = os.path.join(tmp, "out2")
    zpath = os.path.join(tmp, "case.zip")
    cust = {"ana@bank.example": "Ana Lima", "bob@corp.example": "Bob, Corp"}
    r = v.must("export", "kind:whatsapp", "--to", out2, "--dedupe", "--custodian", "ana@bank.example=Ana Lima",
               "--custodian", "bob@corp.example=Bob, Corp", "--title", "Case 12", "--zip", zpath, "--json")
    # The emails go into the zip only; the folder keeps the load file, manifest and summaries.
    f.check(not os.path.exists(os.path.join(out2, "custodians")), "a zip export writes no .eml into the folder")
    check_zip(f, zpath, out2)
    unzipped = os.path.join(tmp, "out2-unzipped")
    with zipfile.ZipFile(zpath) as z:
        z.extractall(unzipped)
    rows = check_export(f, v, unzipped, everything, cust, True, "dedupe (zip)")
    with open(os.path.join(out2, "summary.txt"), encoding="utf-8") as fh:
        text = fh.read()
    f.check("Case 12" in text and "kind:whatsapp" in text and "UTC" in text and "Ana Lima" in text,
            "summary.txt names title, query, zone and custodians", text[:400])
    # One mailbox only.
    out3 = os.path.join(tmp, "out3")
    v.must("export", "ledger", "--to", out3, "--mailbox", "bob@corp.example")
    check_export(f, v, out3, {i: ["bob@corp.example"] for i, m in ledger.items() if "bob@corp.example" in m}, {},
                 False, "--mailbox", eml_check=False)
    # The same export again: nothing rewritten, the same load file.
    before = open(os.path.join(out1, "loadfile.csv"), "rb").read()
    j = v.must("export", "ledger", "--to", out1, "--json").json()
    f.equal((j["written_now"], j["resumed_from"]), (1, len(ledger) - 1), "a finished export run again redoes only its last item")
    f.check(open(os.path.join(out1, "loadfile.csv"), "rb").read() == before, "and its load file is unchanged")
    # Refusals: another query, other settings, a folder with other things in it.
    r = v.run("export", "budget", "--to", out1)
    f.check(r.rc == 64 and "another export" in r.err and "ledger" in r.err, "another query on an export folder is refused", r.describe())
    r = v.run("export", "ledger", "--to", out1, "--dedupe")
    f.check(r.rc == 64 and "dedupe" in r.err, "another dedupe setting is refused", r.describe())
    other = os.path.join(tmp, "other")
    os.makedirs(other)
    open(os.path.join(other, "notes.txt"), "w").write("x")
    r = v.run("export", "ledger", "--to", other)
    f.check(r.rc == 64 and "not empty" in r.err, "a non-empty folder is refused", r.describe())
    f.check(os.listdir(other) == ["notes.txt"] or set(os.listdir(other)) == {"notes.txt", ".chatvault-export"},
            "and nothing is written into it", str(os.listdir(other)))
    # A damaged load file is an error that names it, never a silent restart.
    out4 = os.path.join(tmp, "out4")
    v.must("export", "ledger", "--to", out4)
    with open(os.path.join(out4, "loadfile.csv"), "r+b") as fh:
        fh.seek(len(",".join(HEADER)) + 2)
        fh.write(b"XX")
    r = v.run("export", "ledger", "--to", out4)
    f.check(r.rc == 65 and "loadfile.csv" in r.err and "line 2" in r.err, "a damaged load file is named", r.describe())
    r = v.run("export", "ledger (", "--to", os.path.join(tmp, "out5"))
    f.check(r.rc == 64 and "column" in r.err, "a malformed query is refused", r.describe())

    failed_items(f, v, tmp, everything)

    # ---- big archive: kills at several points, then resume.
    chats, truth = make_chats(random.Random(args.seed + 1), args.big // 3, 0.02, dt.datetime(2024, 1, 1))
    big = Vault(args.chatvault, os.path.join(tmp, "big"))
    os.makedirs(os.path.join(tmp, "bigin"), exist_ok=True)
    build(big, os.path.join(tmp, "bigin"), chats)
    expected: dict[int, list[str]] = {}
    for mb in ("ana@bank.example", "bob@corp.example", "helena@bank.example"):
        for row in big.ls(mb):
            expected.setdefault(int(row["item"]), []).append(mb)
    for q in big.quarantine():
        expected[int(q["item"])] = []
    for ms in expected.values():
        ms.sort()
    f.equal(len(expected), sum(len(t) for t in truth.values()), "big: every item is placed or quarantined")
    for extra, conditions in ((["--dedupe"], ["delay:0.05", "loadfile", "files", "delay:0.4", "delay:0.15",
                                              "delay:0.8", "loadfile", "delay:0.3"]),
                              ([], ["files", "delay:0.25", "loadfile", "delay:0.6"])):
        kill_and_resume(f, big, tmp, expected, extra, conditions)
    # The same with --zip: kills while entries stream into the zip, then a run to completion.
    # (A zip export of this archive takes well under a second: short delays land mid-stream.)
    for extra, conditions in ((["--zip"], ["zippart", "delay:0.1", "loadfile", "delay:0.2", "delay:0.05"]),
                              (["--zip", "--dedupe"], ["delay:0.1", "zippart", "loadfile", "delay:0.25",
                                                       "delay:0.15"])):
        kill_and_resume(f, big, tmp, expected, extra, conditions)


def failed_items(f, v: Vault, tmp: str, everything: dict[int, list[str]]) -> None:
    """One damaged attachment blob (a byte flipped in its pack) must not stop an export: every
    other item is exported and hashed in the manifest, the damaged one is listed (item, mailbox,
    reason) in the summary and in errors.csv (in the manifest), the exit code is 3; the same
    export run again once the blob is back retries the item and ends whole (exit 0)."""
    damaged = Vault(v.exe, os.path.join(tmp, "damaged"), env=v.env)
    shutil.copytree(v.archive, damaged.archive)
    con = sqlite3.connect(os.path.join(damaged.archive, "chatvault.db"))
    try:
        rows = con.execute("SELECT ib.item, b.pack, b.offset, b.length FROM item_blobs ib JOIN blobs b ON b.name = ib.name "
                           "ORDER BY ib.item").fetchall()
    finally:
        con.close()
    placed = [r for r in rows if everything.get(r[0])]
    f.check(bool(placed), "the small archive has a placed item with a stored attachment")
    if not placed:
        return
    victim, pack, off, length = placed[len(placed) // 2]
    shared = [r[0] for r in rows if (r[1], r[2]) == (pack, off)]
    pack_path = os.path.join(damaged.archive, "packs", f"{pack:06d}.pack")
    original = open(pack_path, "rb").read()
    data = bytearray(original)
    data[off + length // 2] ^= 0x5A
    with open(pack_path, "wb") as fh:
        fh.write(bytes(data))
    victims = set(shared)
    rest = {i: ms for i, ms in everything.items() if i not in victims}

    out = os.path.join(tmp, "out-damaged")
    r = damaged.run("export", "kind:whatsapp", "--to", out, "--dedupe", "--json")
    f.check(r.rc == 3, "an export with a damaged blob finishes with exit code 3", r.describe())
    j = r.json() if r.out.strip() else {}
    got = sorted(x["item"] for x in j.get("failures", []))
    f.check(j.get("failed") == len(victims) and got == sorted(victims),
            f"the export reports the damaged item(s) {sorted(victims)} as failed", str(j.get("failures"))[:400])
    f.check(all(x["mailboxes"] == everything[x["item"]] and x["reason"] for x in j.get("failures", [])),
            "each failure names its mailboxes and a reason", str(j.get("failures"))[:400])
    f.check(f"item {victim} not exported" in r.err, "stderr names the failed item", r.err[-300:])
    check_export(f, damaged, out, rest, {}, True, "damaged blob", errors=True)
    with open(os.path.join(out, "errors.csv"), newline="", encoding="utf-8") as fh:
        err_rows = list(csv.reader(fh))
    f.equal(err_rows[0], ["ItemID", "MessageID", "Mailboxes", "Reason"], "errors.csv header")
    f.check(sorted(int(x[0]) for x in err_rows[1:]) == sorted(victims) and
            all(x[2] == "; ".join(everything[int(x[0])]) and x[3] for x in err_rows[1:]),
            "errors.csv lists each failed item with its mailboxes and reason", str(err_rows)[:400])
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as fh:
        s = json.load(fh)
    f.check(s["failed"] == len(victims) and s["errors"] == "errors.csv", "summary.json counts the failed items", str(s)[:300])
    with open(os.path.join(out, "summary.txt"), encoding="utf-8") as fh:
        text = fh.read()
    f.check(f"failed:       {len(victims)}" in text and str(victim) in text, "summary.txt counts and lists them", text[-500:])

    # The same, as a zip: the zip holds errors.csv too, and every entry hashes to the manifest.
    zpath = os.path.join(tmp, "damaged.zip")
    r = damaged.run("export", "kind:whatsapp", "--to", os.path.join(tmp, "out-damaged-zip"), "--zip", zpath, "--json")
    f.check(r.rc == 3, "a zip export with a damaged blob finishes with exit code 3", r.describe())
    listed = check_zip(f, zpath, os.path.join(tmp, "out-damaged-zip"))
    f.check("errors.csv" in listed and not any(f"{i:010d}.eml" in p for i in victims for p in listed),
            "the zip lists errors.csv and holds no file of a failed item")

    # The blob repaired: the same export again retries the failed item and ends whole.
    with open(pack_path, "wb") as fh:
        fh.write(original)
    r = damaged.run("export", "kind:whatsapp", "--to", out, "--dedupe", "--json")
    f.check(r.rc == 0, "run again once the blob is back, the export ends whole (exit 0)", r.describe())
    j = r.json() if r.rc == 0 else {}
    f.check(j.get("failed") == 0 and j.get("written_now", 0) >= len(victims), "the failed item(s) were retried", str(j)[:300])
    check_export(f, damaged, out, everything, {}, True, "damaged blob, retried", ordered=False)


def kill_and_resume(f, big: Vault, tmp: str, expected: dict, extra: list[str], conditions: list[str]) -> None:
    label = "big" + "".join(f" {e}" for e in extra)
    name = "".join(e.strip("-") for e in extra) or "plain"
    clean = os.path.join(tmp, f"clean-{name}")
    zipped = "--zip" in extra
    args = [a for a in extra if a != "--zip"]
    clean_zip = os.path.join(tmp, f"clean-{name}.zip")
    out_zip = os.path.join(tmp, f"killed-{name}.zip")
    t0 = time.time()
    big.must("export", "kind:whatsapp", "--to", clean, *args, *(["--zip", clean_zip] if zipped else []))
    print(f"{label}: uninterrupted export of {len(expected)} items in {time.time() - t0:.2f} s")
    out = os.path.join(tmp, f"killed-{name}")
    argv = [big.exe, "export", "kind:whatsapp", "--to", out, *args, *(["--zip", out_zip] if zipped else []),
            "--archive", big.archive, "--json"]
    kills = 0
    finished = None
    for cond in conditions + ["none"] * 3:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=big.env)
        if cond != "none":
            deadline = time.time() + 60
            while p.poll() is None and time.time() < deadline:
                if cond.startswith("delay:"):
                    time.sleep(float(cond[6:]))
                    break
                if cond == "loadfile" and os.path.exists(os.path.join(out, "loadfile.csv")) and \
                        os.path.getsize(os.path.join(out, "loadfile.csv")) > 20000:
                    break
                if cond == "files" and os.path.isdir(os.path.join(out, "custodians")):
                    break
                if cond == "zippart" and os.path.exists(out_zip + ".part") and \
                        os.path.getsize(out_zip + ".part") > 200000:
                    break
                time.sleep(0.005)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                kills += 1
        so, se = p.communicate()
        if p.returncode == 0:
            finished = json.loads(so)
            break
        f.check(p.returncode == -signal.SIGKILL, f"{label}: run ends by our SIGKILL only ({cond})", se.decode()[-300:])
    f.check(kills >= 3, f"{label}: the export was killed midway several times ({kills})")
    f.check(finished is not None, f"{label}: a run after the kills finishes")
    if finished:
        f.check(finished["resumed_from"] > 0, f"{label}: the last run resumed from what earlier runs wrote", str(finished))
    f.check(open(os.path.join(out, "loadfile.csv"), "rb").read() == open(os.path.join(clean, "loadfile.csv"), "rb").read(),
            f"{label}: the killed-and-resumed load file equals the uninterrupted one byte for byte")
    if not zipped:
        check_export(f, big, out, expected, {}, "--dedupe" in extra, f"{label} resumed", eml_check=False)
        return
    # The zip: valid (zipfile CRCs, unzip -t), every entry hashing to the manifest, one entry per
    # load-file file, none twice, the same entries (names, bytes, order) as the uninterrupted one.
    f.check(not os.path.exists(out_zip + ".part") and not os.path.exists(out_zip + ".dir.part"),
            f"{label}: no part file is left")
    want = check_zip(f, out_zip, out)
    rows = read_load_file(f, out)
    paths = {r["Path"] for r in rows}
    with zipfile.ZipFile(out_zip) as z, zipfile.ZipFile(clean_zip) as c:
        got = z.namelist()
        emails = [n for n in got if n.endswith(".eml")]
        f.check(len(emails) == len(set(emails)) == len(paths) and set(emails) == paths,
                f"{label}: one entry per load-file file ({len(paths)}), none twice, none missing",
                f"{len(emails)} entries, {len(set(emails))} names, {len(paths)} paths")
        f.check(all(hashlib.sha256(z.read(r["Path"])).hexdigest() == r["SHA256"] for r in rows if r["Path"] in want),
                f"{label}: every row's entry hashes to its SHA256")
        f.check(got == c.namelist(), f"{label}: the same entries in the same order as the uninterrupted zip "
                f"({len(c.namelist())})", f"{len(got)} vs {len(c.namelist())}")
        f.check(all(z.read(n) == c.read(n) for n in emails), f"{label}: every email entry equals the uninterrupted one")


def main() -> int:
    ap, _ = common_args(__doc__)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CV_EXPORT_SEED", "7")))
    ap.add_argument("--big", type=int, default=12000)
    args = ap.parse_args()
    print(f"seed {args.seed}")
    return run_in_temp(args, "cv-export-", lambda tmp, f: body(tmp, f, args))


if __name__ == "__main__":
    sys.exit(main())
