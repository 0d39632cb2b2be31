#!/usr/bin/env python3
"""A mailbox exported as Maildir opens in a real mail tool (notmuch, from Debian), and as mbox
in Python's `mailbox` module, with every item there and findable.

Usage:
    test_maildir_mail_tool.py [--chatvault BUILD/chatvault] [--keep]

A generated group chat (40 messages, some with attachments beside the .txt, one with a body
line that starts with "From ", one multi-line) is imported with a CSV mapping, then:

  maildir  `export --format maildir DIR`; a throwaway notmuch config (NOTMUCH_CONFIG, HOME and
           XDG_* in the temp folder) with database.path = DIR; `notmuch new`; then
           `notmuch count '*'` equals the number of items `ls` lists, every Message-ID is
           found by id:, one item is found by a word only its body has, another by a word of
           its subject, and the attachments are seen (tag:attachment count)
  mbox     `export --format mbox DIR`; `mailbox.mbox` reads as many messages as `ls` lists,
           with exactly the Message-IDs `ls` lists, and each body decodes

Exit 0 when every check holds, 1 otherwise, 77 (skip) when notmuch is not on PATH. Standard
library only.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import mailbox
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
from cvarchive import Chat, Failures, Msg, Vault, common_args, minutes, run_in_temp

SKIP = 77
BOX = "ext.trader@example.com"


def chat() -> Chat:
    t = minutes(dt.datetime(2026, 11, 24, 9, 0), 40, step=3)
    msgs, media = [], {}
    for i in range(40):
        author = "+44 7700 900461" if i % 2 else "Carol Jones"
        if i == 7:
            msgs.append(Msg(t[i], author, "Weekly summary follows\nFrom the desk: all limits respected\nEnd"))
        elif i == 11:
            msgs.append(Msg(t[i], author, "The quokkazephyr settlement is confirmed for Friday"))
        elif i == 17:
            msgs.append(Msg(t[i], author, "Marmalade deadline moved"))
        elif i % 6 == 3:
            name = f"IMG-20261124-WA{i:04d}.jpg"
            media[name] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes((i * k) % 256 for k in range(3000))
            msgs.append(Msg(t[i], author, f"Screenshot {i}", attachment=name))
        else:
            msgs.append(Msg(t[i], author, f"Routine update number {i}"))
    return Chat("Desk Porto", msgs, media)


def main() -> int:
    ap, _ = common_args(__doc__.split("\n\n")[0])
    args = ap.parse_args()
    if shutil.which("notmuch") is None:
        print("SKIP: notmuch is not on PATH (Debian package notmuch)")
        return SKIP
    return run_in_temp(args, "cv-maildir-", lambda t, g: run(args.chatvault, t, g), errors=(AssertionError, RuntimeError))


def notmuch(env: dict, *args: str) -> str:
    p = subprocess.run(["notmuch", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"notmuch {' '.join(args)} exited {p.returncode}: "
                           f"{p.stderr.decode('utf-8', 'replace').strip()[-400:]}")
    return p.stdout.decode("utf-8", "replace")


def search_ids(env: dict, query: str) -> set[str]:
    out = notmuch(env, "search", "--output=messages", "--", query)
    return {line[3:] for line in out.splitlines() if line.startswith("id:")}


def run(exe: str, tmp: str, f: Failures) -> None:
    src = chat().write(os.path.join(tmp, "in"), "txt")
    csv = os.path.join(tmp, "map.csv")
    with open(csv, "w", encoding="utf-8") as fh:
        fh.write(f"phone,email\n+44 7700 900461,{BOX}\n")
    v = Vault(exe, os.path.join(tmp, "archive"))
    v.init()
    rep = v.import_json(src, "--tz", "Europe/Lisbon", "--mapping", csv)
    f.equal(rep["total"]["new"], 40, "import: 40 new items")
    rows = v.ls(BOX)
    ids = {r["message_id"] for r in rows}
    f.equal(len(rows), 40, "ls lists 40 items")
    with_attachment = {r["message_id"] for r in rows if r["text"].startswith("IMG-")}

    # --- maildir + notmuch -----------------------------------------------------------------
    md = os.path.join(tmp, "maildir")
    v.must("export", "--mailbox", BOX, "--format", "maildir", md)
    for sub in ("cur", "new", "tmp"):
        f.check(os.path.isdir(os.path.join(md, sub)), f"maildir: {sub}/ exists")
    files = [n for sub in ("cur", "new") for n in os.listdir(os.path.join(md, sub))]
    f.equal(len(files), 40, "maildir: one file per item in cur/ and new/")
    config = os.path.join(tmp, "notmuch-config")
    with open(config, "w", encoding="utf-8") as fh:
        fh.write(f"[database]\npath={md}\n\n[user]\nname=Archive Test\nprimary_email=archive-test@example.invalid\n\n"
                 "[new]\ntags=inbox\nignore=\n\n[search]\nexclude_tags=\n\n[maildir]\nsynchronize_flags=false\n")
    env = {k: x for k, x in os.environ.items() if not k.startswith(("NOTMUCH_", "XDG_", "MAILDIR"))}
    env.update(NOTMUCH_CONFIG=config, HOME=tmp, XDG_CONFIG_HOME=os.path.join(tmp, "xdg-config"),
               XDG_DATA_HOME=os.path.join(tmp, "xdg-data"), LC_ALL="C.UTF-8")
    notmuch(env, "new", "--quiet")
    f.equal(int(notmuch(env, "count", "*").strip()), len(rows), "notmuch: count '*' equals the items ls lists")
    f.equal(search_ids(env, "*"), ids, "notmuch: exactly the Message-IDs ls lists")
    missing = [m for m in sorted(ids) if search_ids(env, f"id:{m}") != {m}]
    f.check(not missing, "notmuch: every item found by id:", f"not found: {missing[:3]}")
    body_hit = {r["message_id"] for r in rows if "quokkazephyr" in r["text"]}
    f.equal(search_ids(env, "body:quokkazephyr"), body_hit, "notmuch: body:quokkazephyr finds its item")
    f.equal(search_ids(env, "quokkazephyr"), body_hit, "notmuch: a plain word query finds it")
    subj_hit = {r["message_id"] for r in rows if r["text"].startswith("Marmalade")}
    f.equal(search_ids(env, "subject:marmalade"), subj_hit, "notmuch: subject:marmalade finds its item")
    f.equal(search_ids(env, 'subject:"Desk Porto"'), ids, "notmuch: the chat name is in every subject")
    f.equal(search_ids(env, "tag:attachment"), with_attachment, "notmuch: the items with attachments are tagged")
    f.equal(search_ids(env, f"to:{BOX} or from:{BOX}"), ids, "notmuch: every item is from or to the mailbox")

    # --- mbox + Python's mailbox ------------------------------------------------------------
    mb_dir = os.path.join(tmp, "mbox")
    v.must("export", "--mailbox", BOX, "--format", "mbox", mb_dir)
    found = [os.path.join(d, n) for d, _, ns in os.walk(mb_dir) for n in ns]
    f.equal(len(found), 1, "mbox: one file written")
    if not found:
        return
    box = mailbox.mbox(found[0], create=False)
    seen, broken = [], []
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        mid = str(msg.get("Message-ID", "")).strip().strip("<>")
        seen.append(mid)
        try:
            body = msg.get_body(preferencelist=("plain",))
            if body is None or not body.get_content():
                broken.append(mid or f"#{key}")
        except Exception as e:  # noqa: BLE001 - any decoding failure is the finding
            broken.append(f"{mid or key}: {e}")
    box.close()
    f.equal(len(seen), len(rows), "mbox: mailbox.mbox reads as many messages as ls lists")
    f.equal(sorted(seen), sorted(ids), "mbox: the same Message-IDs")
    f.check(not broken, "mbox: every message has a decodable text/plain body", repr(broken[:3]))
    from_line = next((r for r in rows if r["text"].startswith("Weekly summary")), None)
    if from_line:
        box = mailbox.mbox(found[0], create=False)
        texts = [m.get_body(preferencelist=("plain",)).get_content() for m in
                 (email.message_from_bytes(box.get_bytes(k), policy=email.policy.default) for k in box.iterkeys())
                 if m.get("Message-ID", "").strip("<> ") == from_line["message_id"]]
        box.close()
        f.check(bool(texts) and "From the desk: all limits respected" in texts[0],
                "mbox: a body line starting with 'From ' survives (not split into a new message)",
                repr(texts[:1])[:300])


if __name__ == "__main__":
    sys.exit(main())
