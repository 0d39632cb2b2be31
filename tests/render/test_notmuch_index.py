#!/usr/bin/env python3
"""Index rendered emails with notmuch (Xapian) and find them again: the archive's emails must
work in a real mail indexer, not only in Python's parser.

Usage:
    test_notmuch_index.py [--chatvault BUILD/chatvault] [--corpus CORPUS_DIR] [--sample N]

Renders a few diverse corpus exports (Android group, Android with a localized Cyrillic file
name, iOS zip in Russian, a zip with media, Arabic iOS) plus examples/demo-export with
`chatvault render --tz UTC` into one Maildir in a temp folder (cur/<unique>:2,S, empty new/
and tmp/), writes a throwaway notmuch config there (NOTMUCH_CONFIG, HOME and XDG_* point into
the temp folder, so nothing of the user's is read or touched) and runs `notmuch new`. Then:
  * `notmuch count '*'` (and --output=files) equals the number of .eml files;
  * for a deterministic sample of messages, `notmuch search --output=messages` finds the
    message's Message-ID (without brackets) by
      - id:"<id>",
      - from:"<From display name>" (or the address when there is none),
      - subject:"<a word of the subject>" (preferring a word of the text snippet over the
        chat title, never "WhatsApp"/"message"/"system"),
      - a body word: a word of >= 5 letters of the item's text (letters only, not a stop
        word, not from a script written without spaces, which Xapian does not split).

Exit 0 when every query finds its message, 1 otherwise, 77 (skip) when `notmuch` is not on
PATH. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from emailcheck import header_str, load, mailboxes

SKIP = 77
SAMPLE_SEED = 20261124

# Relative to the corpus folder.
CORPUS_PICKS = [
    "whats_json/test/data/android/WhatsApp Chat with Group Chat XXX Android.txt",  # Android, group
    "whats_json/test/data/android/Чат WhatsApp с контактом Dmitry S RU Android.txt",  # Android, ru
    "whats_json/test/data/ios/WhatsApp Chat - Elon Musk (RU).zip",  # iOS zip, Cyrillic
    "whatsapp-chat-parser-website/whatsapp-chat-parser-example.zip",  # iOS zip with media
    "whats_json/test/data/ios/WhatsApp Chat - Elon Musk (Arabic).txt",  # iOS, Arabic (RTL)
]

STOP_WORDS = {
    "about", "after", "again", "against", "because", "before", "being", "below", "between", "could",
    "doing", "during", "further", "having", "other", "ought", "their", "theirs", "there", "these",
    "those", "through", "under", "until", "where", "which", "while", "would", "yours", "yourself",
    "should", "itself", "myself", "above", "though", "whatsapp", "message", "system",
}
SUBJECT_NOISE = {"whatsapp", "message", "system", "deleted", "edited", "voice", "video", "missed", "call"}
# Scripts written without spaces between words: one "word" there is a whole phrase.
UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u0f00-\u0fff\u3040-\u30ff\u3400-\u9fff"
                      "\uf900-\ufaff\U00020000-\U0003ffff]")
EDGE_PUNCT = ".,!?:;\"'()[]{}<>«»“”„‘’…*_~"


def letters_only(w: str) -> bool:
    return bool(w) and all(unicodedata.category(c).startswith("L") for c in w)


def body_word(text: str, subject: str = "") -> str | None:
    """The longest usable word of the text, preferring one the subject does not show (so the
    query can only match through the body)."""
    cands = []
    for tok in text.split():
        w = tok.strip(EDGE_PUNCT)
        if len(w) < 5 or not letters_only(w) or UNSPACED.search(w) or w.lower() in STOP_WORDS:
            continue
        cands.append(w)
    if not cands:
        return None
    low = subject.lower()
    return min(cands, key=lambda w: (w.lower() in low, -len(w)))


def subject_word(subject: str, title: str) -> str | None:
    head, sep, snippet = subject.partition(title + ": ") if title else ("", "", "")
    for source in ((snippet, title, subject) if sep else (title, subject)):
        cands = [t.strip(EDGE_PUNCT) for t in source.split()]
        cands = [w for w in cands if len(w) >= 3 and letters_only(w) and not UNSPACED.search(w)
                 and w.lower() not in SUBJECT_NOISE]
        if cands:
            return max(cands, key=len)
    return None


def notmuch(env: dict, *args: str) -> str:
    p = subprocess.run(["notmuch", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"notmuch {' '.join(args)} exited {p.returncode}: "
                           f"{p.stderr.decode('utf-8', 'replace').strip()[-400:]}")
    return p.stdout.decode("utf-8", "replace")


def search_ids(env: dict, query: str) -> set[str]:
    out = notmuch(env, "search", "--output=messages", "--", query)
    return {line[3:] for line in out.splitlines() if line.startswith("id:")}


def quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chatvault", default=os.path.join(repo, "build", "chatvault"))
    ap.add_argument("--corpus", default=os.path.normpath(os.path.join(repo, "..", "shared", "corpus")))
    ap.add_argument("--demo", default=os.path.join(repo, "examples", "demo-export"))
    ap.add_argument("--sample", type=int, default=25)
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    ap.add_argument("--verbose", action="store_true", help="print every query and its hit count")
    args = ap.parse_args()
    if shutil.which("notmuch") is None:
        print("SKIP: notmuch is not on PATH (Debian package notmuch)")
        return SKIP
    exe = os.path.abspath(args.chatvault)

    sources = [os.path.join(args.corpus, p) for p in CORPUS_PICKS] + [args.demo]
    missing = [s for s in sources if not os.path.exists(s)]
    if missing:
        print("FAIL: inputs not found: " + ", ".join(missing))
        return 1

    tmp = tempfile.mkdtemp(prefix="cv-notmuch-")
    failures: list[str] = []
    try:
        mail = os.path.join(tmp, "mail")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(mail, sub))
        records = []  # (file name, path of the .eml, item)
        for n, src in enumerate(sources):
            p = subprocess.run([exe, "parse", src, "--tz", "UTC", "--format", "jsonl"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=120)
            if p.returncode != 0:
                failures.append(f"parse {src}: exit {p.returncode}")
                continue
            items = [json.loads(l) for l in p.stdout.decode("utf-8").splitlines() if l.strip()]
            out = os.path.join(tmp, f"render-{n}")
            p = subprocess.run([exe, "render", src, "--out", out, "--tz", "UTC"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=120)
            if p.returncode != 0:
                failures.append(f"render {src}: exit {p.returncode}: {p.stderr.decode('utf-8', 'replace')[-300:]}")
                continue
            for i, it in enumerate(items):
                eml = os.path.join(out, f"{i:07d}.eml")
                if not os.path.exists(eml):
                    failures.append(f"{src}: {os.path.basename(eml)} not rendered")
                    continue
                name = f"cv{n:02d}.{i:07d}:2,S"
                dest = os.path.join(mail, "cur", name)
                shutil.copyfile(eml, dest)
                records.append((name, dest, it, os.path.relpath(src, args.corpus) if n < len(CORPUS_PICKS) else src))
        print(f"{len(records)} emails from {len(sources)} exports in {mail}")

        config = os.path.join(tmp, "notmuch-config")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f"[database]\npath={mail}\n\n[user]\nname=Render Test\nprimary_email=render-test@example.invalid\n\n"
                    "[new]\ntags=inbox\nignore=\n\n[search]\nexclude_tags=\n\n[maildir]\nsynchronize_flags=false\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTMUCH_", "XDG_", "MAILDIR"))}
        env.update(NOTMUCH_CONFIG=config, HOME=tmp, XDG_CONFIG_HOME=os.path.join(tmp, "xdg-config"),
                   XDG_DATA_HOME=os.path.join(tmp, "xdg-data"), LC_ALL="C.UTF-8")
        notmuch(env, "new", "--quiet")

        count = int(notmuch(env, "count", "*").strip())
        files = int(notmuch(env, "count", "--output=files", "*").strip())
        if count != len(records):
            failures.append(f"notmuch count '*' = {count}, expected {len(records)} (one message per file)")
        if files != len(records):
            failures.append(f"notmuch count --output=files '*' = {files}, expected {len(records)}")

        rng = random.Random(SAMPLE_SEED)
        # Messages whose text offers a body word first, so the body query is exercised, but
        # every export is represented.
        by_src: dict[str, list] = {}
        for r in records:
            by_src.setdefault(r[3], []).append(r)
        sample = []
        per = max(1, args.sample // len(by_src))
        for src, recs in by_src.items():
            with_word = [r for r in recs if body_word(r[2]["text"])]
            rest = [r for r in recs if r not in with_word]
            # one email that carries attachment parts (multipart/mixed), when the export has one
            attached = [r for r in with_word if any(a.get("present") for a in r[2]["attachments"])]
            if attached:
                pick = rng.choice(attached)
                sample.append(pick)
                with_word.remove(pick)
            sample += rng.sample(with_word, min(per - (1 if attached else 0), len(with_word)))
            if len(with_word) < per:
                sample += rng.sample(rest, min(per - len(with_word), len(rest)))
        queries = 0
        for name, path, it, src in sample:
            msg, errs = load(path)
            where = f"{src} item {it['index']} (line {it['line']}, {name})"
            if msg is None:
                failures.append(f"{where}: cannot parse: {errs}")
                continue
            mid = header_str(msg, "Message-ID").strip().strip("<>")
            checks = [("id", f"id:{quote(mid)}")]
            frm = mailboxes(msg, "From")
            if frm:
                display, addr = frm[0]
                checks.append(("from", f"from:{quote(display)}" if display else f"from:{quote(addr)}"))
            title = header_str(msg, "X-WhatsApp-Chat") or ""
            sw = subject_word(header_str(msg, "Subject") or "", title)
            if sw:
                checks.append(("subject", f"subject:{quote(sw)}"))
            bw = body_word(it["text"], header_str(msg, "Subject") or "")
            if bw:
                checks.append(("body", quote(bw)))
            for what, q in checks:
                queries += 1
                try:
                    found = search_ids(env, q)
                except RuntimeError as e:
                    failures.append(f"{where}: {what} query {q!r}: {e}")
                    continue
                if args.verbose:
                    print(f"  {what:7} {q}  -> {len(found)} hit(s){'' if mid in found else ', NOT the message'}")
                if mid not in found:
                    failures.append(f"{where}: {what} query {q!r} does not find id:{mid} "
                                    f"({len(found)} other hits)")
        print(f"{len(sample)} sampled messages, {queries} queries")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    for f in failures:
        print("FAIL " + f)
    print("ok" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
    sys.exit(main())
