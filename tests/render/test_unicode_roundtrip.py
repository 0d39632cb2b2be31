#!/usr/bin/env python3
"""Property test: names, chat titles, message texts and attachment file names drawn from many
scripts (and from the ASCII characters that mean something in mail headers) must come back
exactly when the rendered emails are read with Python's `email` package (policy.default).

Usage:
    test_unicode_roundtrip.py [--chatvault BUILD/chatvault] [--seed N] [--rounds N] [--round K]

Each round draws, with random.Random(seed, round), an Android-style zip export
"WhatsApp Chat with TITLE.zip" holding "WhatsApp Chat with TITLE.txt" (24-hour Android
lines "24/11/2026, 10:05 - NAME: TEXT" and "… - NAME: FILE (file attached)") and the attached
files (random bytes, 0 bytes to > 64 KiB). Two authors in some rounds (1:1 chat when the
title is one of them), three or more in others. Then `chatvault render ZIP --tz UTC` and, per
email (file i <-> line i):
  * no defect anywhere (message, parts, headers), CRLF lines of at most 998 octets;
  * From's display name == the author, To's display names == the other authors (as a set);
  * Subject == "WhatsApp message - TITLE: SNIPPET", SNIPPET = the text's first line without
    invisible marks, tabs as spaces, stripped of spaces, cut to 60 code points + "…"; for an
    attachment line "WhatsApp message - TITLE: [TYPE: FILE]" (TYPE as the reader typed it);
  * X-WhatsApp-Chat == TITLE;
  * the text/plain body holds the text;
  * the attachment part's file name == the file name, its decoded bytes == the file's bytes.

The seed defaults to 20261124 (or $CV_PROPERTY_SEED) and is printed; a failure prints seed,
round and the differing values (repr), and `--seed S --round K` replays one round.
Exit 1 on failure. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from emailcheck import attachment_filename, header_str, load, mailboxes, plain_body

DEFAULT_SEED = 20261124
MAX_FILE_NAME = 255  # bytes, on the file system (zip entry names may be longer)
# The reader takes at most 256 bytes before ": " as an author (chat_export/detail/body.cpp,
# kMaxAuthorBytes); a longer "name" makes the line a system message.
MAX_AUTHOR_BYTES = 256


# ---- alphabets ---------------------------------------------------------------------------------

def _assigned(lo: int, hi: int, cats=("Lo", "Lu", "Ll", "Lm")) -> list[str]:
    return [chr(c) for c in range(lo, hi + 1) if unicodedata.category(chr(c)) in cats]


def _marks(lo: int, hi: int) -> list[str]:
    return [chr(c) for c in range(lo, hi + 1) if unicodedata.category(chr(c)) in ("Mn", "Mc")]


class Script:
    """Letters of one script; `signs` (vowel signs, combining marks) follow a letter."""

    def __init__(self, name: str, letters: list[str], signs: list[str] = (), joiner: str = ""):
        self.name, self.letters, self.signs, self.joiner = name, letters, list(signs), joiner

    def word(self, rng: random.Random, n: int) -> str:
        out = []
        for _ in range(n):
            out.append(rng.choice(self.letters))
            if self.signs and rng.random() < 0.4:
                out.append(rng.choice(self.signs))
            if self.joiner and rng.random() < 0.1:
                out.append(self.joiner)
        w = "".join(out)
        return w.rstrip(self.joiner) if self.joiner else w


LATIN_DIACRITICS = ("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿāăąćčďđēęěğīįıłńňőœřśşšţťūůűųźżžßÀÉÎÕÜŁŒŠŽÑÇ"
                    "ǅǈǋṡẞḁṃỳ")
EMOJI_BASES = [chr(c) for c in range(0x1F600, 0x1F64F + 1)] + list("🌍🌈🍕🎉🏆🐍🚀🧪🦄💡🔥✨⚽")
HANDS = list("👍👋✌👏🙏💪🤝👌🤞🫶")
SKIN = [chr(c) for c in range(0x1F3FB, 0x1F3FF + 1)]
ZWJ_SEQUENCES = ["👩\u200d💻", "👨\u200d👩\u200d👧\u200d👦", "🏳\ufe0f\u200d🌈", "👩🏽\u200d⚕\ufe0f",
                 "🧑🏿\u200d🚀", "❤\ufe0f\u200d🔥", "👁\ufe0f\u200d🗨\ufe0f", "🇩🇪", "🇯🇵", "🏴\U000e0067\U000e0062"
                 "\U000e0073\U000e0063\U000e0074\U000e007f", "#\ufe0f\u20e3"]


class Emoji(Script):
    def __init__(self):
        super().__init__("emoji", EMOJI_BASES)

    def word(self, rng: random.Random, n: int) -> str:
        out = []
        for _ in range(max(1, n // 2)):
            r = rng.random()
            if r < 0.35:
                out.append(rng.choice(EMOJI_BASES))
            elif r < 0.65:
                out.append(rng.choice(HANDS) + rng.choice(SKIN))
            else:
                out.append(rng.choice(ZWJ_SEQUENCES))
        return "".join(out)


def _latin_word(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        elif r < 0.9:
            out.append(rng.choice(LATIN_DIACRITICS))
        else:  # decomposed: base letter + combining mark (must survive without normalisation)
            out.append(rng.choice("aeiounc") + rng.choice("\u0301\u0300\u0308\u0303\u0327\u030c"))
    return "".join(out)


class Latin(Script):
    def __init__(self):
        super().__init__("latin", list("a"))

    def word(self, rng, n):
        return _latin_word(rng, n)


PERSIAN_EXTRA = list("پچژگکی") + [chr(c) for c in range(0x06F0, 0x06F9 + 1)]
ARABIC_LETTERS = _assigned(0x0621, 0x064A)

SCRIPTS: list[Script] = [
    Latin(),
    Script("greek", _assigned(0x0386, 0x03CE)),
    Script("cyrillic", _assigned(0x0400, 0x045F)),
    Script("armenian", _assigned(0x0531, 0x0586)),
    Script("hebrew", _assigned(0x05D0, 0x05EA)),
    Script("arabic", ARABIC_LETTERS, _marks(0x064B, 0x0652)),
    Script("persian", [c for c in ARABIC_LETTERS if c not in "ةيك"] + PERSIAN_EXTRA, joiner="\u200c"),
    Script("devanagari", _assigned(0x0905, 0x0939), _marks(0x093E, 0x094D)),
    Script("bengali", _assigned(0x0985, 0x09B9), _marks(0x09BE, 0x09CD)),
    Script("tamil", _assigned(0x0B85, 0x0BB9), _marks(0x0BBE, 0x0BCD)),
    Script("thai", _assigned(0x0E01, 0x0E2E), _marks(0x0E31, 0x0E3A) + _marks(0x0E47, 0x0E4C)),
    Script("georgian", _assigned(0x10D0, 0x10FA)),
    Script("ethiopic", _assigned(0x1200, 0x135A)),
    Script("hangul", [chr(c) for c in range(0xAC00, 0xD7A3 + 1)]),
    Script("hiragana", _assigned(0x3041, 0x3096) + ["ー"]),
    Script("katakana", _assigned(0x30A1, 0x30FA) + ["ー"]),
    Script("han", [chr(c) for c in range(0x4E00, 0x9FFF + 1)] + [chr(c) for c in range(0x20000, 0x20100)]),
    Script("tibetan", _assigned(0x0F40, 0x0F6C), _marks(0x0F71, 0x0F7D)),
    Script("sinhala", _assigned(0x0D85, 0x0DC6), _marks(0x0DCF, 0x0DDF)),
    Script("khmer", _assigned(0x1780, 0x17B3), _marks(0x17B6, 0x17C5)),
    Emoji(),
    Script("math", _assigned(0x1D400, 0x1D7CB)),  # mathematical alphanumerics (astral)
]
assert len({s.name for s in SCRIPTS}) >= 22 and all(s.letters for s in SCRIPTS)
# Plain ASCII letters: most real names are, and they take other header paths (atoms, quoted
# strings, folding at spaces) than encoded words do.
ASCII = Script("ascii", list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))

# ASCII that means something in headers, and look-alikes of encoded words.
SPECIALS = ['"', "\\", "(", ")", "<", ">", ",", ";", ":", "@", "=?", "?=", "_", "=", "%", "'"]
SPECIAL_WORDS = ['"quoted"', "a\\b", "(comment)", "<angle>", "x,y", "a;b", "r:s", "me@example.org",
                 "=?UTF-8?Q?hi?=", "=?utf-8?b?aGk=?=", "=?x?=", "50%", "it's", "snake_case", "a=b",
                 "=?", "?="]

# What the parser rightly reads as something else when it is a whole message text.
RESERVED_TEXTS = {"null", "This message was deleted", "You deleted this message", "Missed voice call",
                  "Missed video call"}


def pick_scripts(rng: random.Random, k: int) -> list[Script]:
    if rng.random() < 0.25:
        return [ASCII]
    return rng.sample(SCRIPTS, k)


def word(rng: random.Random, scripts: list[Script], lo=2, hi=8) -> str:
    return rng.choice(scripts).word(rng, rng.randint(lo, hi))


def name_like(rng: random.Random, max_chars: int, specials: bool) -> str:
    """A person's name: words of 1-2 scripts, single spaces, no ": ", a letter first."""
    scripts = pick_scripts(rng, rng.randint(1, 2))
    words = [word(rng, [s for s in scripts if s.name != "emoji"] or [SCRIPTS[0]], 2, 7)]
    n = rng.randint(0, 3) if max_chars <= 40 else 50
    for _ in range(n):
        if specials and rng.random() < 0.3:
            w = rng.choice(SPECIAL_WORDS + SPECIALS)
        else:
            w = word(rng, scripts, 1, 7)
        cand = " ".join(words + [w])
        if len(cand) > max_chars or len(cand.encode()) > MAX_AUTHOR_BYTES:
            break
        words.append(w)
    s = " ".join(words)
    return s.replace(": ", ":")


def title_like(rng: random.Random, long: bool) -> str:
    scripts = pick_scripts(rng, rng.randint(1, 3))
    target = rng.randint(100, 140) if long else rng.randint(3, 40)
    words = []
    while len(" ".join(words)) < target:
        words.append(rng.choice(SPECIAL_WORDS + SPECIALS) if rng.random() < 0.2 else word(rng, scripts, 1, 9))
    t = " ".join(words)[: target].strip(" ").replace("/", "|")
    return t or "x"


def text_like(rng: random.Random) -> str:
    scripts = pick_scripts(rng, rng.randint(1, 4))
    n = rng.choice([1, 2, 3, 5, 8, 15, 40])
    parts = []
    for _ in range(n):
        r = rng.random()
        if r < 0.15:
            parts.append(rng.choice(SPECIAL_WORDS + SPECIALS))
        else:
            w = word(rng, scripts, 1, 10)
            if parts and rng.random() < 0.08:  # bidi marks and isolates (not first: see below)
                w = rng.choice(["\u2067{}\u2069", "\u2066{}\u2069", "\u200f{}\u200e", "\u202b{}\u202c",
                                "{}\u200f", "\ufeff{}"]).format(w)
            parts.append(w)
        parts.append(rng.choice([" ", " ", " ", "  ", "\t", ", ", " - "]) if rng.random() < 0.9 else "")
    t = "".join(parts).strip(" \t,-")
    # Keep clear of what the reader treats as markers: a leading '<' or invisible mark (an iOS
    # notice), a trailing '>' / ')'.
    while t and (t[0] in "<~+[" or ord(t[0]) in INVISIBLE):
        t = t[1:]
    while t and t[-1] in ">)":
        t = t[:-1]
    t = t.strip(" \t")
    if not t or t in RESERVED_TEXTS:
        t = "ok " + word(rng, scripts, 2, 5)
    return t


def file_name_like(rng: random.Random, used: set[str]) -> str:
    while True:
        scripts = pick_scripts(rng, rng.randint(1, 2))
        stem_words = [word(rng, scripts, 1, 8) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.3:
            stem_words.insert(rng.randint(0, len(stem_words)), rng.choice(SPECIAL_WORDS + SPECIALS))
        sep = rng.choice([" ", "_", "-", " "])
        stem = sep.join(stem_words)
        if rng.random() < 0.15:
            stem += " (1)"
        if rng.random() < 0.1:
            stem = stem * rng.randint(2, 4)  # long names: RFC 2231 continuations
        ext = rng.choice([".jpg", ".pdf", ".opus", ".mp4", ".docx", ".bin", ".webp", ".xlsx", ""])
        name = (stem.replace("/", "|").strip(" ") + ext).strip(" ")
        # The zip reader ignores entries whose names look absolute ("\\x", "c:x": zip-slip guard).
        if name.startswith("\\") or name[1:2] == ":":
            name = word(rng, scripts, 2, 4) + " " + name
        if name and name not in used and not name.lower().endswith((".txt", ".zip")):
            used.add(name)
            return name


def file_bytes(rng: random.Random) -> bytes:
    n = rng.choice([0, 1, 2, 3, 56, 57, 58, 76, rng.randint(4, 4000), rng.randint(65537, 140000)])
    return rng.randbytes(n)


# ---- expected values -----------------------------------------------------------------------

INVISIBLE = {0x200E, 0x200F, 0x061C, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068,
             0x2069, 0xFEFF}


# How the subject names an attachment's type (render/detail/body.cpp media_word); the type
# itself is the reader's (JSONL "type").
MEDIA_WORDS = {"image": "image", "video": "video", "audio": "audio", "voice_note": "voice message", "gif": "GIF",
               "sticker": "sticker", "document": "document", "contact": "contact card", "unknown": "media"}


def snippet(text: str, max_chars: int = 60) -> str:
    line = "".join(c for c in text.split("\n", 1)[0] if ord(c) not in INVISIBLE)
    line = line.replace("\t", " ").replace("\r", " ").strip(" ")
    return line if len(line) <= max_chars else line[:max_chars] + "…"


# ---- one round -----------------------------------------------------------------------------

class Round:
    def __init__(self, seed: int, number: int):
        rng = random.Random(f"{seed}/{number}")
        self.rng = rng
        self.number = number
        group = rng.random() < 0.55
        n_authors = rng.randint(3, 6) if group else 2
        long_round = rng.random() < 0.35
        names: list[str] = []
        while len(names) < n_authors:
            long_name = long_round and rng.random() < 0.5
            n = name_like(rng, rng.randint(100, 130) if long_name else 40, specials=rng.random() < 0.5)
            if n not in names:
                names.append(n)
        self.authors = names
        if not group and rng.random() < 0.6:
            self.title = names[1]  # a 1:1 chat, named after the other party
        else:
            self.title = title_like(rng, long_round and rng.random() < 0.7)
            while self.title in names:
                self.title += "x"
        used: set[str] = set()
        self.lines: list[tuple[str, str, bytes | None, str | None]] = []  # author, text, data, name
        order = list(names) + [rng.choice(names) for _ in range(rng.randint(2, 8))]
        rng.shuffle(order)
        for a in order:
            if rng.random() < 0.3:
                fname = file_name_like(rng, used)
                self.lines.append((a, f"{fname} (file attached)", file_bytes(rng), fname))
            else:
                self.lines.append((a, text_like(rng), None, None))
        if not any(d is not None for _, _, d, _ in self.lines):
            a = rng.choice(names)
            fname = file_name_like(rng, used)
            self.lines.append((a, f"{fname} (file attached)", file_bytes(rng), fname))

    def chat_text(self) -> str:
        out = []
        for i, (a, text, _, _) in enumerate(self.lines):
            out.append(f"24/11/2026, {10 + i // 60:02d}:{i % 60:02d} - {a}: {text}\n")
        return "".join(out)

    def write_zip(self, folder: str) -> str:
        inner = f"WhatsApp Chat with {self.title}.txt"
        outer = f"WhatsApp Chat with {self.title}.zip"
        if len(outer.encode()) > MAX_FILE_NAME:
            # The file system caps a name at 255 bytes; the title is read from the inner name.
            outer = f"WhatsApp Chat with round {self.number}.zip"
        path = os.path.join(folder, outer)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(inner, self.chat_text())
            for _, _, data, fname in self.lines:
                if data is not None:
                    z.writestr(fname, data)
        return path


def describe(r: Round) -> str:
    return (f"  title={r.title!r}\n  authors={r.authors!r}\n"
            + "".join(f"  line {i + 1}: {a!r}: {t!r}" + (f" [{len(d)} bytes]" if d is not None else "") + "\n"
                      for i, (a, t, d, _) in enumerate(r.lines)))


def check_round(exe: str, r: Round, folder: str) -> list[str]:
    errs: list[str] = []
    zpath = r.write_zip(folder)
    out_dir = os.path.join(folder, "out")
    p = subprocess.run([exe, "render", zpath, "--out", out_dir, "--tz", "UTC"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        return [f"render exit code {p.returncode}: {p.stderr.decode('utf-8', 'replace')[-400:]!r}"]
    # What the reader made of the file: tells a reader problem from a renderer one, and gives
    # the attachment type the subject names.
    q = subprocess.run([exe, "parse", zpath, "--tz", "UTC", "--format", "jsonl"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    items = [json.loads(line) for line in q.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
    reader_errs = []
    for i, (author, text, data, fname) in enumerate(r.lines):
        it = items[i] if i < len(items) else None
        want_att = [(fname, True)] if fname is not None else []
        if it is None or (it["kind"], it["author"], it["text"]) != ("message", author, text) or \
                [(a["name"], a["present"]) for a in it["attachments"]] != want_att:
            reader_errs.append(f"reader: line {i + 1} read as {it!r}")
    if len(items) != len(r.lines):
        reader_errs.append(f"reader: {len(items)} items for {len(r.lines)} lines")
    if reader_errs:
        return ["the reader (chatvault parse) disagrees with the generated export, so this is not "
                "(only) a renderer problem:"] + reader_errs
    names = sorted(os.listdir(out_dir))
    if len(names) != len(r.lines):
        return errs + [f"{len(names)} emails for {len(r.lines)} lines"]
    for i, (author, text, data, fname) in enumerate(r.lines):
        path = os.path.join(out_dir, f"{i:07d}.eml")
        msg, e = load(path)
        errs += [f"email {i}: {x}" for x in e]
        if msg is None:
            continue

        def diff(what, got, want):
            if got != want:
                errs.append(f"email {i} {what}:\n    got  {got!r}\n    want {want!r}")

        frm = mailboxes(msg, "From")
        diff("From display name", [d for d, _ in frm], [author])
        to = mailboxes(msg, "To")
        diff("To display names", sorted(d for d, _ in to), sorted(a for a in r.authors if a != author))
        if fname is None:
            want_subject = f"WhatsApp message - {r.title}: {snippet(text)}"
        else:  # the attachment's label replaces the marker line (no caption here)
            word = MEDIA_WORDS.get(items[i]["attachments"][0]["type"], "media")
            want_subject = f"WhatsApp message - {r.title}: [{word}: {fname}]"
        diff("Subject", header_str(msg, "Subject"), want_subject)
        diff("X-WhatsApp-Chat", header_str(msg, "X-WhatsApp-Chat"), r.title)
        body = plain_body(msg)
        if body is None or text not in body:
            errs.append(f"email {i} text/plain body lacks the text:\n    body {body!r}\n    text {text!r}")
        parts = [pt for pt in msg.walk() if pt.is_attachment()]
        if data is None:
            diff("attachment parts", [attachment_filename(pt) for pt in parts], [])
        elif len(parts) != 1:
            diff("attachment parts", [attachment_filename(pt) for pt in parts], [fname])
        else:
            diff("attachment file name", attachment_filename(parts[0]), fname)
            got = parts[0].get_payload(decode=True)  # bytes whatever the sniffed type
            if got != data:
                errs.append(f"email {i} attachment bytes differ: got {len(got)} bytes, want {len(data)}"
                            + (f" (first difference at {next((k for k, (x, y) in enumerate(zip(got, data)) if x != y), min(len(got), len(data)))})"))
    return errs


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chatvault", default=os.path.join(repo, "build", "chatvault"))
    env_seed = os.environ.get("CV_PROPERTY_SEED")
    ap.add_argument("--seed", type=int, default=int(env_seed) if env_seed else DEFAULT_SEED)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--round", type=int, default=None, help="replay only this round")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder of failing rounds")
    args = ap.parse_args()
    exe = os.path.abspath(args.chatvault)
    if not os.access(exe, os.X_OK):
        print(f"FAIL: cannot run {exe} (not built?)")
        return 1

    print(f"seed {args.seed} ({len(SCRIPTS)} scripts + ASCII header specials)", flush=True)
    rounds = [args.round] if args.round is not None else range(args.rounds)
    failed = 0
    start = time.monotonic()
    for k in rounds:
        r = Round(args.seed, k)
        folder = tempfile.mkdtemp(prefix=f"cv-unicode-{k}-")
        try:
            errs = check_round(exe, r, folder)
        except Exception as e:
            errs = [f"checker raised {type(e).__name__}: {e}"]
        kind = f"group of {len(r.authors)}" if len(r.authors) > 2 or r.title not in r.authors else "1:1"
        if errs:
            failed += 1
            print(f"FAIL seed {args.seed} round {k} ({kind}):")
            print(describe(r), end="")
            for e in errs[:12]:
                print("  " + e.replace("\n", "\n  "))
            if len(errs) > 12:
                print(f"  (+{len(errs) - 12} more)")
            print(f"  replay: {sys.argv[0]} --seed {args.seed} --round {k}"
                  + (f"  (kept in {folder})" if args.keep else ""), flush=True)
        else:
            print(f"ok round {k} ({kind}, {len(r.lines)} emails)", flush=True)
        if not (errs and args.keep):
            shutil.rmtree(folder, ignore_errors=True)
    n = len(rounds)
    print(f"seed {args.seed}: {n - failed} rounds passed, {failed} failed ({time.monotonic() - start:.1f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
    sys.exit(main())
