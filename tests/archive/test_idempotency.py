#!/usr/bin/env python3
"""Importing is idempotent: the same, an overlapping or a re-packaged export adds nothing, and
a later tombstone never changes what is archived.

Usage:
    test_idempotency.py [--chatvault BUILD/chatvault] [--keep]

One generated Android group chat of 100 messages (unique texts, every 9th with a JPEG beside
the .txt), two participants mapped by a CSV. Each case runs on a fresh archive:

  same-twice   the whole export imported twice: the second run reports new 0, duplicate = seen,
               mailbox counts and every item's sha256 stay as they were, verify passes
  overlap      export A = messages 1..60, export B = 40..100 of the same chat: 60 + 40 new,
               21 duplicates, 100 items in each mailbox
  containers   the chat as a .txt (no media), then as a .zip with media, then as an unpacked
               folder: the second and third runs add nothing; `show --json` of an item lists
               every source it arrived from
  tombstone    a later export whose copy of a message reads "This message was deleted": the
               archived original keeps its text, its flags and its email bytes

Exit 0 when every check holds, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
from cvarchive import Chat, Failures, Msg, Vault, common_args, minutes, run_in_temp

T0 = dt.datetime(2026, 11, 24, 8, 0)
AUTHORS = ["+44 7700 900461", "Carol Jones", "+49 170 9876543"]
CSV = "phone,email\n+44 7700 900461,ext.trader@example.com\n+491709876543,de.trader@example.com\n"
BOXES = ("ext.trader@example.com", "de.trader@example.com")


def build_chat(n: int = 100) -> Chat:
    msgs, media = [], {}
    for i, t in enumerate(minutes(T0, n, step=2)):
        text = f"Message number {i + 1} about lot {1000 + i * 7}"
        if i % 9 == 4:
            name = f"IMG-{t:%Y%m%d}-WA{i:04d}.jpg"
            media[name] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + hashlib.sha256(name.encode()).digest() * 40
            msgs.append(Msg(t, AUTHORS[i % 3], text, attachment=name))
        else:
            msgs.append(Msg(t, AUTHORS[i % 3], text))
    return Chat("Desk Lisbon", msgs, media)


def sub_chat(chat: Chat, lo: int, hi: int) -> Chat:
    """Messages lo..hi (1-based, inclusive) and the media they name."""
    msgs = chat.messages[lo - 1:hi]
    names = {m.attachment for m in msgs if m.attachment}
    return Chat(chat.name, msgs, {k: v for k, v in chat.media.items() if k in names})


def fingerprint(vault: Vault) -> dict[str, tuple]:
    """message_id → (kind, utc, text, deleted, sha256, size) of every item in both mailboxes."""
    out = {}
    for box in BOXES:
        for row in vault.ls(box):
            out[row["message_id"]] = (row["kind"], row["utc"], row["text"], row["deleted"], row["size"])
    return out


def main() -> int:
    ap, _ = common_args(__doc__.split("\n\n")[0])
    args = ap.parse_args()
    return run_in_temp(args, "cv-idem-", lambda t, g: run_cases(args.chatvault, t, g))


def fresh(exe: str, tmp: str, name: str) -> Vault:
    v = Vault(exe, os.path.join(tmp, name, "archive"))
    v.init()
    return v


def totals(rep: dict) -> tuple:
    t = rep["total"]
    return t["seen"], t["new"], t["duplicate"], t["quarantined"], t["failed"]


def run_cases(exe: str, tmp: str, f: Failures) -> None:
    csv = os.path.join(tmp, "map.csv")
    with open(csv, "w", encoding="utf-8") as fh:
        fh.write(CSV)
    chat = build_chat()
    imp = ("--tz", "Europe/Lisbon", "--mapping", csv)

    # --- same-twice ------------------------------------------------------------------------
    v = fresh(exe, tmp, "same-twice")
    src = chat.write(os.path.join(tmp, "same-twice", "in"), "txt")
    first = v.import_json(src, *imp)
    f.equal(totals(first), (100, 100, 0, 0, 0), "same-twice: first run (seen, new, dup, quarantined, failed)")
    boxes = v.mailboxes()
    f.equal(boxes, {b: 100 for b in BOXES}, "same-twice: 100 items in each mapped mailbox")
    before = fingerprint(v)
    shas = {mid: v.show(mid)["sha256"] for mid in list(before)[::7]}
    second = v.import_json(src, *imp)
    f.equal(totals(second), (100, 0, 100, 0, 0), "same-twice: second run adds nothing (new 0, duplicate = seen)")
    f.equal(second["total"].get("new_per_mailbox", {}), {}, "same-twice: second run files nothing new per mailbox")
    f.equal(v.mailboxes(), boxes, "same-twice: mailbox counts unchanged")
    f.check(fingerprint(v) == before, "same-twice: every listed item unchanged")
    f.equal({mid: v.show(mid)["sha256"] for mid in shas}, shas, "same-twice: sampled items' sha256 unchanged")
    r = v.verify()
    f.check(r.rc == 0 and r.json().get("items") == 100, "same-twice: verify passes with 100 items", r.describe())

    # --- overlap ---------------------------------------------------------------------------
    v = fresh(exe, tmp, "overlap")
    a = sub_chat(chat, 1, 60).write(os.path.join(tmp, "overlap", "a"), "txt")
    b = sub_chat(chat, 40, 100).write(os.path.join(tmp, "overlap", "b"), "zip")
    ra = v.import_json(a, *imp)
    rb = v.import_json(b, *imp)
    f.equal(totals(ra), (60, 60, 0, 0, 0), "overlap: export A (messages 1..60)")
    f.equal(totals(rb), (61, 40, 21, 0, 0), "overlap: export B (messages 40..100): 40 new, 21 duplicates")
    f.equal(v.mailboxes(), {b_: 100 for b_ in BOXES}, "overlap: 100 items in each mailbox")
    f.equal(sorted(fingerprint(v)), sorted(before), "overlap: the same 100 Message-IDs as the whole export")
    rc = v.import_json(a, b, *imp)
    f.equal(totals(rc)[1], 0, "overlap: importing A and B again together adds nothing")
    r = v.verify()
    f.check(r.rc == 0 and r.json().get("items") == 100, "overlap: verify passes with 100 items", r.describe())

    # --- containers ------------------------------------------------------------------------
    v = fresh(exe, tmp, "containers")
    base = os.path.join(tmp, "containers")
    txt = chat.write(os.path.join(base, "txt"), "txt", with_media=False)
    zp = chat.write(os.path.join(base, "zip"), "zip")
    folder = chat.write(os.path.join(base, "folder"), "folder")
    r1 = v.import_json(txt, *imp)
    r2 = v.import_json(zp, *imp)
    r3 = v.import_json(folder, *imp)
    f.equal(totals(r1)[:3], (100, 100, 0), "containers: .txt adds 100")
    f.equal(totals(r2)[:3], (100, 0, 100), "containers: the same chat as .zip with media adds nothing")
    f.equal(totals(r3)[:3], (100, 0, 100), "containers: the same chat as an unpacked folder adds nothing")
    f.equal(v.mailboxes(), {b_: 100 for b_ in BOXES}, "containers: still 100 items per mailbox")
    rows = v.ls(BOXES[0])
    for row in (rows[0], rows[4], rows[57]):  # rows[4] carries an attachment
        srcs = v.show(row["item"]).get("sources", [])
        f.check(len(srcs) >= 3 and any(s.startswith(txt) for s in srcs) and any(s.startswith(zp) for s in srcs)
                and any(s.startswith(folder) for s in srcs),
                f"containers: show --json {row['item']} lists the .txt, the .zip and the folder as sources",
                repr(srcs))
    r = v.verify()
    f.check(r.rc == 0, "containers: verify passes", r.describe())
    # The other order: the zip with media first, then the bare .txt, must not lose the stored
    # attachment of the item the zip brought.
    v = fresh(exe, tmp, "containers-zip-first")
    v.import_json(zp, *imp)
    row = next(r_ for r_ in v.ls(BOXES[0]) if r_["text"].startswith("IMG-"))
    atts = v.show(row["item"]).get("attachments", [])
    f.check(len(atts) == 1 and atts[0].get("present") and atts[0].get("stored"),
            "containers: the zip's attachment is stored", repr(atts))
    again = v.import_json(txt, *imp)
    f.equal(totals(again)[1], 0, "containers: the bare .txt after the zip adds nothing")
    f.equal(v.show(row["item"]).get("attachments"), atts, "containers: the stored attachment is kept")

    # --- tombstone -------------------------------------------------------------------------
    v = fresh(exe, tmp, "tombstone")
    t = minutes(dt.datetime(2026, 11, 25, 9, 0), 3)
    original = Chat("Desk Lisbon", [Msg(t[0], AUTHORS[0], "Buy 5m EUR/CHF at 0.9412, ticket FX-77"),
                                    Msg(t[1], "Carol Jones", "Noted"),
                                    Msg(t[2], AUTHORS[2], "Confirmed")])
    later = Chat("Desk Lisbon", [Msg(t[0], AUTHORS[0], "This message was deleted"),
                                 Msg(t[1], "Carol Jones", "Noted"),
                                 Msg(t[2], AUTHORS[2], "Confirmed")])
    v.import_json(original.write(os.path.join(tmp, "tombstone", "v1"), "txt"), *imp)
    orig_row = next(r_ for r_ in v.ls(BOXES[0]) if r_["text"].startswith("Buy 5m"))
    orig_show = v.show(orig_row["message_id"])
    orig_eml = v.must("show", orig_row["message_id"], "--eml").raw
    rep = v.import_json(later.write(os.path.join(tmp, "tombstone", "v2"), "txt"), *imp)
    f.equal(totals(rep)[2], 2, "tombstone: the two unchanged messages are duplicates")
    now = v.show(orig_row["message_id"])
    f.equal(now.get("text"), orig_show.get("text"), "tombstone: the original still shows its text")
    f.equal(now.get("deleted"), False, "tombstone: the original is not marked deleted")
    f.equal(now.get("sha256"), orig_show.get("sha256"), "tombstone: the original's sha256 unchanged")
    f.equal(v.must("show", orig_row["message_id"], "--eml").raw, orig_eml,
            "tombstone: the original's archived email bytes unchanged")
    texts = [r_["text"] for r_ in v.ls(BOXES[0])]
    f.check(any(x.startswith("Buy 5m EUR/CHF") for x in texts), "tombstone: ls still lists the original text",
            repr(texts))
    r = v.verify()
    f.check(r.rc == 0, "tombstone: verify passes", r.describe())


if __name__ == "__main__":
    sys.exit(main())
