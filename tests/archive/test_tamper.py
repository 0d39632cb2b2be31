#!/usr/bin/env python3
"""Tampering is caught: `chatvault verify` exits 1 and names the affected item, and
`show --eml` of a damaged item fails instead of printing wrong bytes.

Usage:
    test_tamper.py [--chatvault BUILD/chatvault] [--keep]

A small group chat (8 messages, three with attachments beside the .txt) is imported once with
--batch 2 (several chunks, one pack) into a template archive; each case below copies the
template, applies one change with Python's sqlite3 module or by editing a file, and runs
`verify` (text and --json) and `show --eml`:

  untouched           verify exits 0, says "all verified", --json ok true and no findings
  chunk-byte          one byte flipped inside a chunk's sealed blob: the chunk's items named
  pack-byte           one byte flipped inside an attachment blob in packs/000001.pack
  pack-deleted        packs/000001.pack removed: every item with an attachment named
  items-row-deleted   an items row deleted: the item named (number or Message-ID)
  render-sha256       an items row's render_sha256 changed: the item named
  journal-item-hash   the hash an import entry records for one item changed (JSON still valid)
  journal-body        another field of a journal line's body changed (its chained hash kept)
  journal-cut         the journal's last line cut off
  blobs-row-deleted   the blobs row of an attachment deleted: its item named

For each case verify must exit 1 (and --json say ok false); where the damage belongs to items,
the findings (or the text lines `item N <message-id>: problem`) must name them; `show --eml` of
a named item must exit non-zero and print no email. Exit 0 when every check holds, 1
otherwise. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile

sys.dont_write_bytecode = True
from cvarchive import Chat, Failures, Msg, Vault, common_args, minutes, run_in_temp

T0 = dt.datetime(2026, 11, 24, 9, 30)


def payload(name: str, n: int) -> bytes:
    seed = hashlib.sha256(name.encode()).digest()
    return b"".join(hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(n))


def chat() -> Chat:
    t = minutes(T0, 8)
    media = {
        "IMG-20261124-WA0001.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + payload("a", 120),
        "DOC-20261124-WA0002.pdf": b"%PDF-1.4\n" + payload("b", 200),
        "AUD-20261124-WA0003.opus": b"OggS" + payload("c", 90),
    }
    return Chat("Audit Desk", [
        Msg(t[0], "+44 7700 900461", "Morning, trade list attached below"),
        Msg(t[1], "Carol Jones", "Thanks"),
        Msg(t[2], "+44 7700 900461", "Screenshot of the book", attachment="IMG-20261124-WA0001.jpg"),
        Msg(t[3], "Carol Jones", "Got it"),
        Msg(t[4], "Carol Jones", "Term sheet", attachment="DOC-20261124-WA0002.pdf"),
        Msg(t[5], "+44 7700 900461", "Reviewing"),
        Msg(t[6], "+44 7700 900461", "", attachment="AUD-20261124-WA0003.opus"),
        Msg(t[7], "Carol Jones", "Done for today"),
    ], media)


class Archive:
    """A copy of the template archive and what is known about its items."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.db = os.path.join(vault.archive, "chatvault.db")

    def sql(self, query: str, params=()) -> list:
        con = sqlite3.connect(self.db)
        try:
            rows = con.execute(query, params).fetchall()
            con.commit()
            return rows
        finally:
            con.close()


def flip(data: bytes, at: int) -> bytes:
    b = bytearray(data)
    b[at] ^= 0x5A
    return bytes(b)


def named(findings: list[dict], text: str, item: int, mid: str) -> bool:
    for fd in findings:
        if fd.get("item") == item or fd.get("message_id") == mid:
            return True
    return f"item {item} " in text or mid in text


def main() -> int:
    ap, _ = common_args(__doc__.split("\n\n")[0])
    args = ap.parse_args()
    return run_in_temp(args, "cv-tamper-", lambda t, g: run(args.chatvault, t, g))


def run(exe: str, tmp: str, f: Failures) -> None:
    src = chat().write(os.path.join(tmp, "export"), "txt")
    csv = os.path.join(tmp, "map.csv")
    with open(csv, "w", encoding="utf-8") as fh:
        fh.write("phone,email\n+44 7700 900461,ext.trader@example.com\n")
    template = Vault(exe, os.path.join(tmp, "template"))
    template.init()
    rep = template.import_json(src, "--tz", "UTC", "--mapping", csv, "--batch", "2")
    if rep["total"]["new"] != 8:
        raise AssertionError(f"template import: expected 8 new items, got {rep['total']}")
    t = Archive(template)
    items = {i: m for i, m in t.sql("SELECT id, message_id FROM items")}
    chunks = t.sql("SELECT id, items FROM chunks ORDER BY id")
    with_blob = {}  # item → [(pack, offset, length)]
    for item, pack, off, length in t.sql("SELECT ib.item, b.pack, b.offset, b.length FROM item_blobs ib "
                                         "JOIN blobs b ON b.name = ib.name ORDER BY ib.item"):
        with_blob.setdefault(item, []).append((pack, off, length))
    print(f"template: {len(items)} items in {len(chunks)} chunks; items with attachment blobs: {sorted(with_blob)}")
    if len(with_blob) != 3:
        raise AssertionError(f"expected three items with stored attachments, got {with_blob}")
    originals = {i: template.must("show", str(i), "--eml").raw for i in items}

    def case(name: str) -> Archive:
        dest = os.path.join(tmp, name)
        shutil.copytree(template.archive, dest)
        return Archive(Vault(exe, dest))

    def expect(name: str, a: Archive, affected: list[int], show: list[int] | None = None) -> None:
        text = a.vault.run("verify")
        js = a.vault.run("verify", "--json")
        try:
            doc = js.json()
        except ValueError:
            doc = {}
        findings = doc.get("findings", []) if isinstance(doc, dict) else []
        f.check(text.rc == 1, f"{name}: verify exits 1", f"exit {text.rc}: {text.out.strip()[-400:]}")
        f.check(js.rc == 1 and doc.get("ok") is False and findings,
                f"{name}: verify --json exits 1 with ok false and findings", js.describe())
        for item in affected:
            f.check(named(findings, text.out + text.err, item, items[item]),
                    f"{name}: verify names item {item} ({items[item]})",
                    f"findings {findings[:6]}; text: {text.out.strip()[-400:]}")
        for item in (affected if show is None else show):
            s = a.vault.run("show", str(item), "--eml")
            ok = s.rc != 0 and (s.raw == b"" or b"Message-ID:" not in s.raw)
            f.check(ok, f"{name}: show --eml {item} fails and prints no email",
                    f"exit {s.rc}, {len(s.raw)} bytes on stdout"
                    + (" (the archived bytes)" if s.raw == originals.get(item) else "")
                    + f"; stderr {s.err.strip()[-200:]}")

    # --- untouched ------------------------------------------------------------------------
    a = case("untouched")
    r = a.vault.run("verify")
    f.check(r.rc == 0 and "all verified" in r.out + r.err, "untouched: verify exits 0 and says all verified",
            r.describe())
    j = a.vault.run("verify", "--json")
    doc = j.json() if j.rc == 0 else {}
    f.check(j.rc == 0 and doc.get("ok") is True and doc.get("findings") == [] and doc.get("items") == 8
            and doc.get("blobs") == 3, "untouched: verify --json ok, 8 items, 3 blobs, no findings", j.out[-400:])
    for i in items:
        s = a.vault.run("show", str(i), "--eml")
        if s.rc != 0 or hashlib.sha256(s.raw).hexdigest() != a.vault.show(i)["sha256"]:
            f.check(False, f"untouched: show --eml {i} matches show --json's sha256", s.describe())

    # --- chunk-byte -----------------------------------------------------------------------
    a = case("chunk-byte")
    cid = chunks[1][0]
    sealed = a.sql("SELECT sealed FROM chunks WHERE id = ?", (cid,))[0][0]
    a.sql("UPDATE chunks SET sealed = ? WHERE id = ?", (flip(sealed, len(sealed) // 2), cid))
    in_chunk = [i for (i,) in a.sql("SELECT id FROM items WHERE chunk = ? ORDER BY id", (cid,))]
    expect("chunk-byte", a, in_chunk)

    # --- pack-byte ------------------------------------------------------------------------
    a = case("pack-byte")
    victim = sorted(with_blob)[1]
    pack, off, length = with_blob[victim][0]
    pack_path = os.path.join(a.vault.archive, "packs", f"{pack:06d}.pack")
    data = open(pack_path, "rb").read()
    with open(pack_path, "wb") as fh:
        fh.write(flip(data, off + length // 2))
    expect("pack-byte", a, [victim])

    # --- pack-deleted ---------------------------------------------------------------------
    a = case("pack-deleted")
    os.remove(os.path.join(a.vault.archive, "packs", f"{pack:06d}.pack"))
    expect("pack-deleted", a, sorted(with_blob))

    # --- items-row-deleted ----------------------------------------------------------------
    a = case("items-row-deleted")
    gone = 4
    a.sql("DELETE FROM items WHERE id = ?", (gone,))
    expect("items-row-deleted", a, [gone], show=[])
    s = a.vault.run("show", items[gone], "--eml")
    f.check(s.rc != 0 and s.raw == b"", "items-row-deleted: show --eml <its Message-ID> fails, prints nothing",
            s.describe())

    # --- render-sha256 --------------------------------------------------------------------
    a = case("render-sha256")
    item = 2
    a.sql("UPDATE items SET render_sha256 = ? WHERE id = ?", (hashlib.sha256(b"forged").digest(), item))
    expect("render-sha256", a, [item])

    # --- journal-item-hash ----------------------------------------------------------------
    a = case("journal-item-hash")
    jpath = os.path.join(a.vault.archive, "journal")
    lines = open(jpath, "rb").read().split(b"\n")
    target = 6
    changed = False
    for n, line in enumerate(lines):
        if not line:
            continue
        entry = json.loads(line)
        body = entry.get("body", {})
        for pair in body.get("items", []):
            if pair[0] == target:
                pair[1] = ("0" if pair[1][0] != "0" else "1") + pair[1][1:]
                lines[n] = json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()
                changed = True
    f.check(changed, "journal-item-hash: found the import entry listing item 6")
    open(jpath, "wb").write(b"\n".join(lines))
    expect("journal-item-hash", a, [target], show=[])

    # --- journal-body ---------------------------------------------------------------------
    a = case("journal-body")
    jpath = os.path.join(a.vault.archive, "journal")
    raw = open(jpath, "rb").read()
    lines = raw.split(b"\n")
    n = 2  # the second import entry: seq 3
    entry = json.loads(lines[n])
    entry["body"]["time"] = entry["body"]["time"] + 3600
    lines[n] = json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()
    open(jpath, "wb").write(b"\n".join(lines))
    expect("journal-body", a, [], show=[])

    # --- journal-cut ----------------------------------------------------------------------
    a = case("journal-cut")
    jpath = os.path.join(a.vault.archive, "journal")
    raw = open(jpath, "rb").read()
    body = raw.rstrip(b"\n")
    cut = body[:body.rfind(b"\n") + 1]
    last = json.loads(body[body.rfind(b"\n") + 1:])
    last_items = [p[0] for p in last["body"].get("items", [])]
    open(jpath, "wb").write(cut)
    print(f"journal-cut: the last entry (seq {last['seq']}) recorded items {last_items}")
    expect("journal-cut", a, last_items, show=[])

    # --- blobs-row-deleted ----------------------------------------------------------------
    a = case("blobs-row-deleted")
    victim = sorted(with_blob)[0]
    a.sql("DELETE FROM blobs WHERE name = (SELECT name FROM item_blobs WHERE item = ?)", (victim,))
    expect("blobs-row-deleted", a, [victim])


if __name__ == "__main__":
    sys.exit(main())
