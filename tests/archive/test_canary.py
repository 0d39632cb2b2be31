#!/usr/bin/env python3
"""No plaintext at rest: unique canary strings planted in messages and attachments are found
nowhere in the archive folder or in chatvault's temp files, except message words as
full-text index terms (the documented exception).

Usage:
    test_canary.py [--chatvault BUILD/chatvault] [--keep]

Inputs (generated): a group chat mapped by a CSV and a 1:1 chat nobody maps (quarantined,
then filed by `quarantine retry`). Canaries are `canary<32 hex>`, one token each for SQLite's
unicode61 tokenizer:
  text       in message bodies, a continuation line and an attachment caption
  name       in the chat's name (file name), an author's name and a document's file name
             ("Report canary….pdf"): the export line carries the file name in the message
             text, and the subject carries the chat name, so these are index terms too
  content    inside attachment files: ASCII in a PDF and a JPEG, UTF-16LE in a text file,
             and in an attachment nobody maps (quarantined)
Every chatvault process runs with TMPDIR set to a private folder. The commands run: init,
import (twice: mapped and unmapped), quarantine ls/retry, mailboxes, ls, show --json/--eml,
verify and export (to a folder outside the ones searched). A positive control checks that
the canaries did reach the archive (show --json and the exported emails carry them).

Then every file under the archive folder (chatvault.db, -wal, -shm, packs/*, journal, key,
lock) and under TMPDIR is searched for each canary as UTF-8 and UTF-16LE bytes:
  * content canaries: no hit anywhere;
  * text and name canaries: no hit outside chatvault.db and its -wal; a hit there is allowed
    only as an FTS5 index term, shown by three things on a copy of the database: the term is
    in the index's vocabulary (fts5vocab); each hit's page (dbstat; for the -wal the frame's
    page) belongs to the FTS shadow tables search_data/search_idx, or is a free page; and
    after `INSERT INTO search(search) VALUES('delete-all')` and VACUUM no hit remains.
The README says the index reveals terms; this is the test of "only terms".
Also: the key file's mode is 0600.

Exit 0 when no canary leaks, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import shutil
import sqlite3
import stat
import struct
import sys
import tempfile
import uuid

sys.dont_write_bytecode = True
from cvarchive import Chat, Failures, Msg, Vault, common_args, minutes, run_in_temp

# The item index, and the content search's conversation titles and members (src/archive/search.cpp).
FTS_TABLES = {f"{t}_{s}" for t in ("search", "search_titles", "search_members") for s in ("data", "idx")}


def canary() -> str:
    return "canary" + uuid.uuid4().hex


def find_all(data: bytes, needle: bytes) -> list[int]:
    out, at = [], data.find(needle)
    while at >= 0:
        out.append(at)
        at = data.find(needle, at + 1)
    return out


def forms(c: str) -> list[tuple[str, bytes]]:
    return [("utf-8", c.encode("utf-8")), ("utf-16le", c.encode("utf-16le")), ("upper", c.upper().encode())]


def files_under(*roots: str) -> list[str]:
    out = []
    for root in roots:
        for d, _, names in os.walk(root):
            out += [os.path.join(d, n) for n in names]
    return sorted(out)


def page_owners(db: str) -> tuple[int, dict[int, str]]:
    con = sqlite3.connect(db)
    try:
        size = con.execute("PRAGMA page_size").fetchone()[0]
        owners = {p: n for n, p in con.execute("SELECT name, pageno FROM dbstat")}
        return size, owners
    finally:
        con.close()


def wal_frames(path: str) -> list[tuple[int, int, int]]:
    """(page number, start, end) of every frame of a WAL file."""
    data = open(path, "rb").read()
    if len(data) < 32:
        return []
    page_size = struct.unpack(">I", data[8:12])[0]
    out, at = [], 32
    while at + 24 + page_size <= len(data):
        pgno = struct.unpack(">I", data[at:at + 4])[0]
        out.append((pgno, at, at + 24 + page_size))
        at += 24 + page_size
    return out


def main() -> int:
    ap, _ = common_args(__doc__.split("\n\n")[0])
    args = ap.parse_args()
    return run_in_temp(args, "cv-canary-", lambda t, g: run(args.chatvault, t, g))


def run(exe: str, tmp: str, f: Failures) -> None:
    text = {k: canary() for k in ("body", "continuation", "caption", "quarantined-body")}
    name = {k: canary() for k in ("chat", "author", "file")}
    content = {k: canary() for k in ("pdf", "jpeg", "utf16", "quarantined-file")}
    t = minutes(dt.datetime(2026, 11, 24, 10, 5), 9)
    doc_name = f"Report {name['file']}.pdf"
    group = Chat(f"Desk {name['chat']}", [
        Msg(t[0], "+44 7700 900461", f"Position update {text['body']} please confirm"),
        Msg(t[1], f"Erik {name['author']}", f"Confirmed\nsecond line {text['continuation']} here"),
        Msg(t[2], "+44 7700 900461", f"Scan {text['caption']}", attachment="IMG-20261124-WA0001.jpg"),
        Msg(t[3], f"Erik {name['author']}", "", attachment=doc_name),
        Msg(t[4], "+44 7700 900461", "", attachment="DOC-20261124-WA0002.txt"),
        Msg(t[5], f"Erik {name['author']}", "Thanks"),
    ], {
        "IMG-20261124-WA0001.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(64)
                                   + f"EXIF comment {content['jpeg']}".encode() + os.urandom(64),
        doc_name: b"%PDF-1.4\n%" + f"(Secret {content['pdf']}) Tj\n".encode() * 3 + b"%%EOF\n",
        "DOC-20261124-WA0002.txt": ("\ufeffminutes " + content["utf16"] + "\r\n").encode("utf-16le"),
    })
    peer = Chat("Bob Miller", [
        Msg(t[6], "Bob Miller", f"Off the record {text['quarantined-body']}"),
        Msg(t[7], "Bob Miller", "", attachment="IMG-20261124-WA0003.jpg"),
        Msg(t[8], "Alice Owner", "Noted"),
    ], {"IMG-20261124-WA0003.jpg": b"\xff\xd8\xff\xe0" + f"{content['quarantined-file']}".encode() * 2})

    inputs = os.path.join(tmp, "inputs")  # not searched: the plaintext source
    outside = os.path.join(tmp, "exported")  # not searched: plaintext by design
    arch = os.path.join(tmp, "archive")
    private_tmp = os.path.join(tmp, "tmpdir")
    os.makedirs(private_tmp)
    env = dict(os.environ, TMPDIR=private_tmp, TMP=private_tmp, TEMP=private_tmp)
    v = Vault(exe, arch, env)
    g_src = group.write(os.path.join(inputs, "g"), "zip")
    p_src = peer.write(os.path.join(inputs, "p"), "txt")
    csv = os.path.join(inputs, "map.csv")
    with open(csv, "w", encoding="utf-8") as fh:
        fh.write("phone,email\n+44 7700 900461,ext.trader@example.com\n")

    v.init()
    rep = v.import_json(g_src, "--tz", "Europe/Berlin", "--mapping", csv)
    f.equal((rep["total"]["new"], rep["total"]["quarantined"]), (6, 0), "import the mapped group chat")
    rep = v.import_json(p_src, "--tz", "Europe/Berlin")
    f.equal(rep["total"]["quarantined"], 3, "import the unmapped chat: quarantined")
    v.quarantine()
    v.must("quarantine", "retry", "--owner", "+4915112345678=alice@example.com")
    boxes = v.mailboxes()
    f.equal(boxes, {"ext.trader@example.com": 6, "alice@example.com": 3}, "mailboxes after the retry")
    emls = []
    for box in boxes:
        for row in v.ls(box):
            v.show(row["item"])
            emls.append(v.must("show", str(row["item"]), "--eml").raw)
        v.must("export", "--mailbox", box, "--format", "maildir", os.path.join(outside, box))
    r = v.verify()
    f.check(r.rc == 0, "verify passes", r.describe())

    # Positive control: the canaries are in the archive (decoded from the emails).
    decoded = []
    for raw in emls:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        decoded.append(str(msg.get("Subject", "")) + str(msg.get("From", "")))
        for part in msg.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            decoded.append(payload.decode("utf-8", "replace") if part.get_content_maintype() == "text"
                           and not part.get_filename() else payload.decode("latin-1"))
            if part.get_filename():
                decoded.append(part.get_filename())
                decoded.append(payload.decode("utf-16le", "replace"))
    blob = "\n".join(decoded)
    for kind, group_ in (("text", text), ("name", name), ("content", content)):
        for k, c in group_.items():
            f.check(c in blob, f"control: the {kind} canary '{k}' is in the archived emails")

    # Key file.
    mode = stat.S_IMODE(os.stat(os.path.join(arch, "key")).st_mode)
    f.equal(oct(mode), oct(0o600), "key file mode")

    # Search.
    searched = files_under(arch, private_tmp)
    print(f"searching {len(searched)} files: " + ", ".join(os.path.relpath(p, tmp) for p in searched))
    db = os.path.join(arch, "chatvault.db")
    hits: dict[str, list[tuple[str, str, int]]] = {}  # canary → [(file, form, offset)]
    for path in searched:
        data = open(path, "rb").read()
        for c in list(text.values()) + list(name.values()) + list(content.values()):
            for form, needle in forms(c):
                for off in find_all(data, needle):
                    hits.setdefault(c, []).append((path, form, off))

    for k, c in content.items():
        where = hits.get(c, [])
        f.check(not where, f"content canary '{k}' appears nowhere",
                "; ".join(f"{os.path.relpath(p, tmp)} @{o} ({fm})" for p, fm, o in where[:5]))

    indexable = {**{f"text '{k}'": c for k, c in text.items()}, **{f"name '{k}'": c for k, c in name.items()}}
    in_db = {label: c for label, c in indexable.items()
             if any(p in (db, db + "-wal") for p, _, _ in hits.get(c, []))}
    for label, c in indexable.items():
        outside_db = [h for h in hits.get(c, []) if h[0] not in (db, db + "-wal")]
        f.check(not outside_db, f"{label} canary: no hit outside chatvault.db/-wal",
                "; ".join(f"{os.path.relpath(p, tmp)} @{o} ({fm})" for p, fm, o in outside_db[:5]))
    print(f"index-term candidates with raw hits in the database: {sorted(in_db)}")
    if not in_db:
        return

    # Explain the database hits with a copy (sqlite3 may write the copy; never the archive).
    scratch = os.path.join(tmp, "scratch")
    os.makedirs(scratch)
    copy = os.path.join(scratch, "copy.db")
    shutil.copyfile(db, copy)
    if os.path.exists(db + "-wal"):
        shutil.copyfile(db + "-wal", copy + "-wal")
    con = sqlite3.connect(copy)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, search, 'row')")
    vocab = {row[0] for row in con.execute("SELECT term FROM temp.vocab")}
    con.close()
    page_size, owners = page_owners(copy)
    frames = wal_frames(db + "-wal") if os.path.exists(db + "-wal") else []
    for label, c in in_db.items():
        f.check(c in vocab, f"{label} canary: the database hit is an FTS index term (fts5vocab lists it)")
        bad = []
        for path, form, off in hits[c]:
            if path == db:
                page = off // page_size + 1
            else:
                page = next((pg for pg, s, e in frames if s <= off < e), 0)
            owner = owners.get(page)  # None: a free page (not attributable, left to the VACUUM check)
            if owner is not None and owner not in FTS_TABLES:
                bad.append(f"{os.path.basename(path)} @{off} page {page} belongs to {owner}")
        f.check(not bad, f"{label} canary: every database hit lies in the FTS shadow tables", "; ".join(bad[:5]))

    con = sqlite3.connect(copy)
    for table in ("search", "search_titles", "search_members"):
        con.execute(f"INSERT INTO {table}({table}) VALUES('delete-all')")
    con.commit()
    con.execute("VACUUM")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    rest = b"".join(open(p, "rb").read() for p in files_under(scratch))
    for label, c in in_db.items():
        left = [fm for fm, needle in forms(c) if needle in rest]
        f.check(not left, f"{label} canary: gone from the copy once the FTS index is emptied (delete-all, VACUUM)",
                f"still found as {left}: the database keeps it outside the index")


if __name__ == "__main__":
    sys.exit(main())
