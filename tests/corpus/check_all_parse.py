#!/usr/bin/env python3
"""Run `chatvault parse FILE --format jsonl` on every chat export in the corpus and check
that the output honours the JSONL contract.

Usage:
    check_all_parse.py [--chatvault BUILD/chatvault] [--corpus CORPUS_DIR]

Every .txt and .zip found by walking CORPUS_DIR (so new files are picked up) is parsed once.
A file fails when the exit code is non-zero, stdout is not valid UTF-8 JSONL (one JSON object
per non-empty line), it yields zero items, or any item breaks the contract:

  {"index":0,"line":1,"kind":"message"|"system"|"call","author":"…"|null,
   "wall_clock":"YYYY-MM-DDTHH:MM:SS","utc":"YYYY-MM-DDTHH:MM:SSZ","text":"…",
   "attachments":[{"name":"…","type":"image|video|audio|voice_note|gif|sticker|document|contact|unknown",
                   "present":true}],
   "deleted":false,"edited":false}
  optional: "dst":"gap"|"overlap"; "placeholder":"empty"|"unrenderable";
            "location":{"url","latitude","longitude","venue","live"} (url may be "" only when
            live: "live location shared" has no link); "call":{"media","result"};
            per attachment: "omitted" (then name is ""), "locator", "size".

Checks across items and against the contract's rules:
  * index runs 0, 1, 2, … in output order; line is an int >= 1 and strictly increasing
    (file order);
  * wall_clock and utc are valid date-times in the given shapes (utc ends with "Z"), and
    utc - wall_clock is a real UTC offset (between -12h and +14h, with one hour of slack
    for DST gaps);
  * author is null only for kind "system"; it carries no invisible marks (LRM, RLM,
    U+202A..U+202E, BOM) and no line break;
  * text has no CR of a CRLF ("\\r\\n" inside, or a trailing "\\r");
  * placeholder "empty" means text "", placeholder "unrenderable" means text "null";
  * "call" present means kind "call" and kind "call" has "call";
  * an omitted attachment has name "" and present false.
Keys outside the contract are reported as notes on stderr, not as failures.

Prints "ok FILE" or "FAIL FILE: reasons" per file, then "N passed, M failed"; exit 1 if any
file failed. Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys

KINDS = {"message", "system", "call"}
ATT_TYPES = {"image", "video", "audio", "voice_note", "gif", "sticker", "document", "contact", "unknown"}
DST = {"gap", "overlap"}
PLACEHOLDERS = {"empty": "", "unrenderable": "null"}
CALL_MEDIA = {"voice", "video"}
# The contract shows "missed"; the model also knows answered/unknown.
CALL_RESULTS = {"missed", "answered", "unknown"}

REQUIRED = ("index", "line", "kind", "author", "wall_clock", "utc", "text", "attachments",
            "deleted", "edited")
OPTIONAL = ("dst", "placeholder", "location", "call")
ATT_REQUIRED = ("name", "type", "present")
ATT_OPTIONAL = ("omitted", "locator", "size")
LOC_KEYS = ("url", "latitude", "longitude", "venue", "live")

WALL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
INVISIBLE_RE = re.compile("[\u200e\u200f\u202a-\u202e\ufeff]")

MAX_ERRORS_SHOWN = 5


def is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_time(s: str, z: bool):
    try:
        return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ" if z else "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None


def check_item(it: dict, pos: int, prev_line, notes: set) -> list[str]:
    errs = []

    def err(msg):
        errs.append(f"item {pos}: {msg}")

    for k in REQUIRED:
        if k not in it:
            err(f"missing field {k!r}")
    for k in it:
        if k not in REQUIRED and k not in OPTIONAL:
            notes.add(f"key {k!r}")

    if "index" in it and (not is_int(it["index"]) or it["index"] != pos):
        err(f"index {it['index']!r}, expected {pos}")
    line = it.get("line")
    if "line" in it:
        if not is_int(line) or line < 1:
            err(f"line {line!r} is not an int >= 1")
        elif is_int(prev_line) and line <= prev_line:
            err(f"line {line} not after previous item's line {prev_line}")
    kind = it.get("kind")
    if "kind" in it and kind not in KINDS:
        err(f"kind {kind!r}")
    if "author" in it:
        a = it["author"]
        if a is None:
            if kind != "system":
                err(f"author null on a {kind!r} item")
        elif not isinstance(a, str):
            err(f"author is {type(a).__name__}")
        else:
            if INVISIBLE_RE.search(a):
                err(f"author {json.dumps(a, ensure_ascii=True)} keeps invisible marks")
            if "\n" in a or "\r" in a:
                err(f"author {json.dumps(a, ensure_ascii=False)} contains a line break")
            if a == "":
                err("author is an empty string")
    wall = utc = None
    if "wall_clock" in it:
        w = it["wall_clock"]
        if not isinstance(w, str) or not WALL_RE.match(w) or (wall := parse_time(w, False)) is None:
            err(f"wall_clock {w!r} is not YYYY-MM-DDTHH:MM:SS")
    if "utc" in it:
        u = it["utc"]
        if not isinstance(u, str) or not UTC_RE.match(u) or (utc := parse_time(u, True)) is None:
            err(f"utc {u!r} is not YYYY-MM-DDTHH:MM:SSZ")
    if wall is not None and utc is not None:
        off = (wall - utc).total_seconds() / 3600
        if not -13 <= off <= 15:
            err(f"utc {it['utc']} is {off:+.2f}h from wall_clock {it['wall_clock']}")
    if "text" in it:
        t = it["text"]
        if not isinstance(t, str):
            err(f"text is {type(t).__name__}")
        elif "\r\n" in t or t.endswith("\r"):
            err("text keeps the CR of a CRLF line end")
    for k in ("deleted", "edited"):
        if k in it and not isinstance(it[k], bool):
            err(f"{k} is {it[k]!r}, not a bool")

    atts = it.get("attachments")
    if "attachments" in it:
        if not isinstance(atts, list):
            err("attachments is not a list")
        else:
            for j, a in enumerate(atts):
                if not isinstance(a, dict):
                    err(f"attachment {j} is not an object")
                    continue
                for k in ATT_REQUIRED:
                    if k not in a:
                        err(f"attachment {j} misses {k!r}")
                for k in a:
                    if k not in ATT_REQUIRED and k not in ATT_OPTIONAL:
                        notes.add(f"attachment key {k!r}")
                if "name" in a and not isinstance(a["name"], str):
                    err(f"attachment {j} name is {type(a['name']).__name__}")
                if "type" in a and a["type"] not in ATT_TYPES:
                    err(f"attachment {j} type {a['type']!r}")
                if "present" in a and not isinstance(a["present"], bool):
                    err(f"attachment {j} present {a['present']!r}")
                if "omitted" in a:
                    if not isinstance(a["omitted"], bool):
                        err(f"attachment {j} omitted {a['omitted']!r}")
                    elif a["omitted"]:
                        if a.get("name") != "":
                            err(f"attachment {j} is omitted but has name {a.get('name')!r}")
                        if a.get("present") is True:
                            err(f"attachment {j} is omitted but present")
                elif a.get("name") == "":
                    err(f"attachment {j} has an empty name but is not marked omitted")
                if "locator" in a and not isinstance(a["locator"], str):
                    err(f"attachment {j} locator {a['locator']!r}")
                if "size" in a and not (is_int(a["size"]) and a["size"] >= 0):
                    err(f"attachment {j} size {a['size']!r}")

    if "dst" in it and it["dst"] not in DST:
        err(f"dst {it['dst']!r}")
    if "placeholder" in it:
        p = it["placeholder"]
        if p not in PLACEHOLDERS:
            err(f"placeholder {p!r}")
        elif isinstance(it.get("text"), str) and it["text"] != PLACEHOLDERS[p]:
            err(f"placeholder {p!r} but text {it['text']!r}")
    if "location" in it:
        loc = it["location"]
        if not isinstance(loc, dict):
            err("location is not an object")
        else:
            for k in loc:
                if k not in LOC_KEYS:
                    notes.add(f"location key {k!r}")
            # "live location shared" carries no link, so an empty url is fine only when live
            if not isinstance(loc.get("url"), str) or (not loc.get("url") and loc.get("live") is not True):
                err(f"location.url {loc.get('url')!r} (live {loc.get('live')!r})")
            for k in ("latitude", "longitude"):
                v = loc.get(k)
                if v is None:
                    continue
                try:
                    f = float(v) if isinstance(v, (str, int, float)) and not isinstance(v, bool) else None
                except ValueError:
                    f = None
                lim = 90 if k == "latitude" else 180
                if f is None or not -lim <= f <= lim:
                    err(f"location.{k} {v!r}")
            if loc.get("venue") is not None and not isinstance(loc.get("venue"), str):
                err(f"location.venue {loc.get('venue')!r}")
            if "live" in loc and not isinstance(loc["live"], bool):
                err(f"location.live {loc['live']!r}")
    if "call" in it:
        c = it["call"]
        if not isinstance(c, dict):
            err("call is not an object")
        else:
            if c.get("media") not in CALL_MEDIA:
                err(f"call.media {c.get('media')!r}")
            if "result" in c and c["result"] not in CALL_RESULTS:
                err(f"call.result {c['result']!r}")
        if kind != "call":
            err(f"has call info but kind {kind!r}")
    elif kind == "call":
        err("kind 'call' without call info")
    return errs


def check_file(exe: str, path: str, timeout: float, notes: set) -> list[str]:
    try:
        p = subprocess.run([exe, "parse", path, "--format", "jsonl"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except FileNotFoundError:
        return [f"cannot run {exe} (not built?)"]
    except PermissionError:
        return [f"cannot execute {exe}"]
    except subprocess.TimeoutExpired:
        return [f"timed out after {timeout:.0f}s"]
    if p.returncode != 0:
        tail = p.stderr.decode("utf-8", "replace").strip()[-300:]
        return [f"exit code {p.returncode}" + (f" (stderr: {tail!r})" if tail else "")]
    try:
        out = p.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"stdout is not UTF-8: {e}"]
    items, errs = [], []
    for n, line in enumerate(out.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            return [f"stdout line {n} is not JSON ({e}): {line[:120]!r}"]
        if not isinstance(obj, dict):
            return [f"stdout line {n} is not a JSON object"]
        items.append(obj)
    if not items:
        return ["zero items"]
    prev_line = None
    for pos, it in enumerate(items):
        errs += check_item(it, pos, prev_line, notes)
        prev_line = it.get("line")
    return errs


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chatvault", default=os.path.join(repo, "build", "chatvault"))
    ap.add_argument("--corpus", default=os.path.normpath(os.path.join(repo, "..", "shared", "corpus")))
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per file")
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
    for path in files:
        rel = os.path.relpath(path, args.corpus)
        notes: set = set()
        errs = check_file(exe, path, args.timeout, notes)
        if errs:
            failed += 1
            more = f" (+{len(errs) - MAX_ERRORS_SHOWN} more)" if len(errs) > MAX_ERRORS_SHOWN else ""
            print(f"FAIL {rel}: " + "; ".join(errs[:MAX_ERRORS_SHOWN]) + more)
        else:
            passed += 1
            print(f"ok {rel}")
        if notes:
            print(f"note {rel}: keys outside the contract: {', '.join(sorted(notes))}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
    sys.exit(main())
