#!/usr/bin/env python3
"""Render every chat export of the corpus to emails and check each email against RFC 5322 /
MIME (as Python's `email` package with policy.default reads it) and against the items
`chatvault parse` reports for the same file.

Usage:
    check_corpus_render.py [--chatvault BUILD/chatvault] [--corpus CORPUS_DIR] [--jobs N]

Every .txt and .zip found by walking CORPUS_DIR (as check_all_parse.py does) is
  * parsed:   chatvault parse FILE --tz UTC --format jsonl
  * rendered: chatvault render FILE --out TMP --tz UTC                  (one email per item)
  * rendered: chatvault render FILE --out TMP --tz UTC --transcript daily (one per day)

Every .eml of both runs fails on
  * any defect Python's parser records: the message's, every part's (msg.walk()) and every
    header's (part.items() yields header objects carrying .defects);
  * a line longer than 998 octets, a bare LF or bare CR, a last line without CRLF.

Per-item emails (file i <-> JSONL item i) fail when
  * the number of .eml files differs from the number of items, or a Message-ID recurs;
  * From's display name is not the author (kind message/call) or, for a system item, the
    chat: the title (the decoded X-WhatsApp-Chat) in a group (X-WhatsApp-Group present),
    "WhatsApp chat - TITLE" in a 1:1 chat, so that it never poses as the other party;
  * a From/To address does not end in ".invalid" (the corpus gives no address mapping);
  * the decoded Subject does not start with "WhatsApp ", does not contain the chat title
    (for calls: the peer, which is the chat title in a group and the other party in a
    1:1 chat), or, for a message/system item whose first text line is not blank, does not
    contain that line's first 20 characters once invisible marks (U+200E, U+200F, U+061C,
    U+202A-U+202E, U+2066-U+2069, U+FEFF) are removed, tabs and other control characters are
    turned into spaces and the line is stripped of spaces; for an item with attachments the
    subject carries "[TYPE: NAME]" (or "[TYPE omitted]") for the first one instead of the
    marker line, then the caption's start (its first non-blank line);
  * the decoded text/plain body (CRLF read as LF) does not contain the item text;
  * the attachment parts' file names (Content-Disposition filename, quoted or RFC 2231)
    differ (as a set) from the names of the attachments with present=true;
  * an attachment with present=false that is not omitted is not named, exactly, by an
    X-WhatsApp-Attachment-Missing header;
  * X-WhatsApp-Source-Line is not the item's line.

Daily transcripts fail when their number differs from the number of runs of consecutive
items sharing wall_clock[:10] (a day can recur when the clock jumped back), or when the
transcripts' plain bodies together lack some item's text.

Prints "ok FILE" or "FAIL FILE: reasons" per file, then "N passed, M failed"; exit 1 if any
file failed. Standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from emailcheck import attachment_filename, header_str, load as load_eml, mailboxes, plain_body

MAX_ERRORS_SHOWN = 6

# The marks the renderer's snippet drops (core/utf8.hpp invisible_mark_length): LRM, RLM,
# ALM (U+061C), LRE..RLO, LRI..PDI and BOM.
INVISIBLE_RE = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]")
CONTROL_RE = re.compile("[\x00-\x1f\x7f]")


def run(cmd: list[str], timeout: float) -> tuple[int, bytes, bytes]:
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def short(s, n=80) -> str:
    s = repr(s)
    return s if len(s) <= n else s[: n - 1] + "…"


# How the subject names an attachment's type (render/detail/body.cpp media_word).
MEDIA_WORDS = {"image": "image", "video": "video", "audio": "audio", "voice_note": "voice message", "gif": "GIF",
               "sticker": "sticker", "document": "document", "contact": "contact card", "unknown": "media"}


def clean_line(line: str) -> str:
    line = INVISIBLE_RE.sub("", line)
    line = CONTROL_RE.sub(" ", line)
    return line.strip(" ")


def expected_first_line(text: str) -> str:
    return clean_line(text.split("\n", 1)[0])


def first_nonblank_line(text: str) -> str:
    for line in text.split("\n"):
        if clean_line(line):
            return clean_line(line)
    return ""


def check_item_email(msg, it: dict, chat_members: list[str]) -> list[str]:
    errs = []
    kind = it["kind"]
    title = header_str(msg, "X-WhatsApp-Chat")
    if title is None:
        errs.append("no X-WhatsApp-Chat header")
        title = ""

    # From / To
    frm = mailboxes(msg, "From")
    if len(frm) != 1:
        errs.append(f"From has {len(frm)} addresses")
    else:
        if kind in ("message", "call"):
            want = it["author"]
        elif msg.get("X-WhatsApp-Group") is not None:
            want = title
        else:
            want = "WhatsApp chat - " + title  # 1:1 chat: not the other party's own name
        if frm[0][0] != want:
            errs.append(f"From display name {frm[0][0]!r}, expected {want!r} ({kind})")
    for _, addr in frm + mailboxes(msg, "To"):
        if not addr.endswith(".invalid"):
            errs.append(f"address {addr!r} does not end in .invalid")

    # Subject
    subject = header_str(msg, "Subject")
    if subject is None:
        errs.append("no Subject")
    else:
        if not subject.startswith("WhatsApp "):
            errs.append(f"Subject {short(subject)} does not start with 'WhatsApp '")
        if kind == "call":
            # "WhatsApp voice call (missed) - PEER": the chat in a group, else the other party
            peers = [title] + [m for m in chat_members if m != it["author"]]
            if not any(subject.endswith(" - " + p) for p in peers):
                errs.append(f"call Subject {short(subject)} names neither the chat {title!r} nor another member")
        else:
            if title not in subject:
                errs.append(f"Subject {short(subject)} lacks the chat title {title!r}")
            if it["attachments"]:
                # "[image: NAME] caption" / "[image omitted] caption": the label replaces the
                # marker line (render: commit 5e1b3b5), the caption follows.
                a = it["attachments"][0]
                word = MEDIA_WORDS.get(a["type"], "media")
                label = f"[{word} omitted]" if not a["name"] else f"[{word}: {CONTROL_RE.sub(' ', a['name'])}]"
                if label not in subject:
                    errs.append(f"Subject {short(subject)} lacks the attachment label {label!r}")
                rest = it["text"]
                first_line = rest.split("\n", 1)[0]
                if a.get("omitted") or (a["name"] and a["name"] in first_line):
                    rest = rest[len(first_line) + 1:]
                caption = first_nonblank_line(rest)
                if caption and caption[:20] not in subject:
                    errs.append(f"Subject {short(subject)} lacks the caption's start {caption[:20]!r}")
            else:
                first = expected_first_line(it["text"])
                if first and first[:20] not in subject:
                    errs.append(f"Subject {short(subject)} lacks the text's start {first[:20]!r}")

    # Body
    body = plain_body(msg)
    if body is None:
        errs.append("no text/plain body")
    elif it["text"] not in body:
        errs.append(f"text/plain body lacks the item text {short(it['text'])}")

    # Attachments
    parts = {attachment_filename(p) for p in msg.walk() if p.is_attachment()}
    want = {a["name"] for a in it["attachments"] if a.get("present")}
    if parts != want:
        errs.append(f"attachment parts {sorted(parts, key=str)!r}, expected {sorted(want)!r}")
    missing = [str(v) for v in msg.get_all("X-WhatsApp-Attachment-Missing") or []]
    for a in it["attachments"]:
        if not a.get("present") and not a.get("omitted") and a["name"] not in missing:
            errs.append(f"missing attachment {a['name']!r} not in X-WhatsApp-Attachment-Missing {missing!r}")

    src = header_str(msg, "X-WhatsApp-Source-Line")
    if src != str(it["line"]):
        errs.append(f"X-WhatsApp-Source-Line {src!r}, expected {it['line']}")
    return errs


def day_runs(items: list[dict]) -> int:
    runs, prev = 0, None
    for it in items:
        d = it["wall_clock"][:10]
        if d != prev:
            runs += 1
            prev = d
    return runs


def check_file(exe: str, path: str, timeout: float) -> list[str]:
    errs: list[str] = []
    try:
        code, out, err = run([exe, "parse", path, "--tz", "UTC", "--format", "jsonl"], timeout)
    except (FileNotFoundError, PermissionError):
        return [f"cannot run {exe} (not built?)"]
    except subprocess.TimeoutExpired:
        return [f"parse timed out after {timeout:.0f}s"]
    if code != 0:
        return [f"parse exit code {code}: {err.decode('utf-8', 'replace').strip()[-300:]!r}"]
    try:
        items = [json.loads(l) for l in out.decode("utf-8").splitlines() if l.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return [f"parse output unreadable: {e}"]
    members = []
    for it in items:
        if it["kind"] != "system" and it["author"] and it["author"] not in members:
            members.append(it["author"])

    with tempfile.TemporaryDirectory(prefix="cv-render-") as tmp:
        single = os.path.join(tmp, "items")
        daily = os.path.join(tmp, "daily")
        for out_dir, extra in ((single, []), (daily, ["--transcript", "daily"])):
            try:
                code, _, err = run([exe, "render", path, "--out", out_dir, "--tz", "UTC", *extra], timeout)
            except subprocess.TimeoutExpired:
                return errs + [f"render {' '.join(extra)} timed out after {timeout:.0f}s"]
            if code != 0:
                errs.append(f"render {' '.join(extra)} exit code {code}: "
                            f"{err.decode('utf-8', 'replace').strip()[-300:]!r}")

        # one email per item
        names = sorted(os.listdir(single)) if os.path.isdir(single) else []
        if len(names) != len(items):
            errs.append(f"{len(names)} .eml files for {len(items)} items")
        ids: dict[str, str] = {}
        for i, it in enumerate(items):
            name = f"{i:07d}.eml"
            p = os.path.join(single, name)
            if not os.path.exists(p):
                errs.append(f"{name} (item {i}, line {it['line']}) not written")
                continue
            msg, e = load_eml(p)
            if msg is not None:
                mid = header_str(msg, "Message-ID")
                if not mid:
                    e.append("no Message-ID")
                elif mid in ids:
                    e.append(f"Message-ID {mid} also used by {ids[mid]}")
                else:
                    ids[mid] = name
                e += check_item_email(msg, it, members)
            errs += [f"{name} (line {it['line']}): {x}" for x in e]

        # daily transcripts
        names = sorted(n for n in os.listdir(daily) if n.endswith(".eml")) if os.path.isdir(daily) else []
        want = day_runs(items)
        if len(names) != want:
            errs.append(f"transcript: {len(names)} emails for {want} runs of days")
        bodies = []
        tids: dict[str, str] = {}
        for name in names:
            msg, e = load_eml(os.path.join(daily, name))
            if msg is not None:
                mid = header_str(msg, "Message-ID")
                if mid in tids:
                    e.append(f"Message-ID {mid} also used by {tids[mid]}")
                tids[mid] = name
                body = plain_body(msg)
                if body is None:
                    e.append("no text/plain body")
                else:
                    bodies.append(body)
            errs += [f"transcript {name}: {x}" for x in e]
        joined = "\n".join(bodies)
        for it in items:
            if it["text"] not in joined:
                errs.append(f"transcript: no plain body holds item {it['index']} (line {it['line']}) text "
                            f"{short(it['text'])}")
    return errs


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chatvault", default=os.path.join(repo, "build", "chatvault"))
    ap.add_argument("--corpus", default=os.path.normpath(os.path.join(repo, "..", "shared", "corpus")))
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per chatvault run")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    exe = os.path.abspath(args.chatvault)

    files = []
    for root, dirs, names in os.walk(args.corpus):
        dirs.sort()
        for n in sorted(names):
            if n.lower().endswith((".txt", ".zip")):
                files.append(os.path.join(root, n))
    files.sort()
    if not files:
        print(f"FAIL corpus: no .txt or .zip under {args.corpus}")
        print("0 passed, 1 failed")
        return 1

    passed = failed = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(check_file, exe, p, args.timeout) for p in files]
        for path, fut in zip(files, futures):
            rel = os.path.relpath(path, args.corpus)
            try:
                errs = fut.result()
            except Exception as e:
                errs = [f"checker raised {type(e).__name__}: {e}"]
            if errs:
                failed += 1
                more = f" (+{len(errs) - MAX_ERRORS_SHOWN} more)" if len(errs) > MAX_ERRORS_SHOWN else ""
                print(f"FAIL {rel}: " + "; ".join(errs[:MAX_ERRORS_SHOWN]) + more, flush=True)
            else:
                passed += 1
                print(f"ok {rel}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
    sys.exit(main())
