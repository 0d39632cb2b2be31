#!/usr/bin/env python3
"""Check the chat-export reader against the facts that public peers assert about the corpus.

Usage:
    check_expected.py [--chatvault BUILD/chatvault] [--corpus CORPUS_DIR] [--only ID_PREFIX]

Loads CORPUS_DIR/expected.json, selects every assertion whose "file" ends in .txt or .zip
(plus the file-less "time_conversion" fact, which is checked against the Arabic export named
in its notes), runs `chatvault parse FILE [options] --format jsonl` once per (file, options)
and checks every selected fact against that output.

Prints one line per fact, "ok ID" or "FAIL ID: expected ..., got ...", then a last line
"N passed, M failed". Exit status 1 if anything failed (or could not be checked), else 0.

Standard library only.

Interpretations of expected.json (see its "conventions"):
  * "index", "index_in_file_order", "file_order_index" are our item's "index" (0-based
    position in file order, system items included). Items are looked up by their "index"
    field, not by their position in the output.
  * wall_clock must match exactly ("YYYY-MM-DDTHH:MM:SS").
  * author: the contract strips invisible marks (LRM, RLM, U+202A..U+202E, BOM) from authors
    but keeps NBSP. So the expected author has those marks removed too, and both sides get
    NBSP -> space (whatsjson-024: the peer's literal has plain spaces where the file has NBSP,
    and keeps the U+202A/U+202C wrappers that our contract removes). Our own author is not
    stripped of marks: a mark left in it is a contract violation and should fail.
    Expected author null = our author must be null.
  * "system": true/false = our kind is / is not "system".
  * "text message" (message_count with counts_system_messages false, and "type": "text" in
    message / message_exists / message_absent / message_count_matching) = an item of kind
    "message" with no attachments, not deleted, and without location, call or placeholder.
    whats_json counts only its TextMessage type, which is what this models.
  * message_count: counts_system_messages true = number of all items; false = number of
    text messages; count_with_system (if given) = number of all items.
  * message_exists / message_absent / message_count_matching compare our text after
    stripping a leading LRM/RLM (the peer drops it). For message_absent, which only gets
    stricter with more normalisation, our text is additionally compared with all invisible
    marks removed and NBSP -> space, and an expected text ending in "..." (a peer's elided
    literal, "You were added...") matches any text starting with what precedes the dots.
  * text normalisations that model a documented peer rendering, not our reader:
      - Pustur keeps the file's final newline in the last message (spec section 7; note on
        pustur-002): for the last item of the file, one trailing "\\n" of the expected text
        is dropped (our contract adds no trailing newline).
      - whatstk shows its DataFrame output stripped (notes: "whatstk output is shown
        stripped"): our text is compared after removing trailing whitespace.
      - historic chat-miner ("text_as_asserted"): joins continuation lines with one space,
        turns NBSP into a space and strips the result: our text gets the same treatment.
  * "type": "text" in a message fact additionally requires the item to be a text message.
  * "day"/"month" = the date part of our wall_clock. "option": "daysFirst=true" runs the CLI
    with --date-order dmy, "daysFirst=false" with --date-order mdy.
  * "epoch_if_utc": the wall clock read as UTC; checked by running with --tz UTC and
    comparing our "utc".
  * date_order_inference: run WITHOUT --date-order (inference is what is being tested);
    the inferred order is checked through the first item's wall_clock, which differs between
    the two readings (the summary's wording is not part of the contract).
  * raw_record: reconstructing the record is not possible from JSONL; instead the item at
    the index must not be system and its text must equal everything after "Author: " in the
    record (and its author the record's author).
  * attachment: file_name null = the item has no attachments at all. Otherwise an attachment
    with exactly that name must exist (at the given index, or anywhere in the file when no
    index is given). Type mapping: image/video/gif/sticker -> same name, audio -> audio or
    voice_note (whats_json has no separate voice-note type; iOS names voice notes AUDIO
    too), file -> document, "file (contact card)" -> contact.
  * location: an item whose location.url equals "link"; latitude/longitude as given
    (compared as written, or numerically when the strings differ); venue_text equals
    location.venue.
  * date_conversion: the first line of the file whose text (invisible marks removed)
    contains the raw date is a header; the item whose "line" is that line must have that
    Gregorian date.
  * time_conversion (whatsjson-051, file null): same, in the Arabic export named in the
    notes, with NBSP/NNBSP read as a space; the item's wall_clock time must be time_24h.
  * first_last: earliest / newest wall_clock over all items.
  * system_author: at least one item has that author and every such item is kind "system".
  * Keys that are only orientation (header_shape, author_note, note, marker_shape,
    system_author_label) are not checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import zipfile

# Facts (or parts of facts) that record a peer's own rendering rather than what the file
# says. At most 5 entries, each with a one-line reason. "ignore" lists the value keys that
# are not checked; the rest of the fact still is.
EXCEPTIONS = {
    "chatminer_hist-002": {
        "ignore": ["text_as_asserted"],
        "reason": "historic chat-miner renders the body of 'John Doe:.' as '<Disappearing Message>'"
                  " (its own label, not file text); author, time and index are still checked",
    },
}

INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff"
_INVISIBLE_RE = re.compile("[" + INVISIBLE + "]")
SPACES_RE = re.compile("[\u00a0\u202f\u2007\u2009]")

INDEX_KEYS = ("index", "index_in_file_order", "file_order_index")
IGNORED_KEYS = {"header_shape", "author_note", "note", "marker_shape", "system_author_label",
                "all_rows_of_this_author_are_system"}

ATTACHMENT_TYPES = {
    "image": {"image"},
    "video": {"video"},
    "audio": {"audio", "voice_note"},
    "gif": {"gif"},
    "sticker": {"sticker"},
    "file": {"document"},
    "file (contact card)": {"contact"},
}


class Fail(Exception):
    """A fact does not hold (or cannot be checked); the message says why."""


def short(v, limit=240):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= limit else s[:limit] + "…"


def strip_invisible(s: str) -> str:
    return _INVISIBLE_RE.sub("", s)


def norm_author_expected(a: str) -> str:
    return strip_invisible(a).replace("\u00a0", " ")


def norm_author_got(a: str) -> str:
    return a.replace("\u00a0", " ")


def strip_leading_mark(s: str) -> str:
    while s and s[0] in "\u200e\u200f":
        s = s[1:]
    return s


def is_text_message(item: dict) -> bool:
    return (item.get("kind") == "message"
            and not item.get("attachments")
            and not item.get("deleted")
            and item.get("location") is None
            and item.get("call") is None
            and item.get("placeholder") is None)


def describe(item: dict | None) -> str:
    if item is None:
        return "no item"
    keep = {k: item.get(k) for k in ("index", "line", "kind", "author", "wall_clock", "text")}
    for k in ("attachments", "location", "call", "placeholder", "deleted", "edited"):
        if item.get(k):
            keep[k] = item[k]
    return short(keep, 400)


# --------------------------------------------------------------------------------------
# Running the CLI


class Runner:
    def __init__(self, exe: str, corpus: str, timeout: float):
        self.exe = exe
        self.corpus = corpus
        self.timeout = timeout
        self.cache: dict[tuple, tuple[list | None, str | None]] = {}

    def items(self, rel: str, opts: tuple = ()) -> list[dict]:
        key = (rel, opts)
        if key not in self.cache:
            self.cache[key] = self._run(rel, opts)
        items, err = self.cache[key]
        if err is not None:
            raise Fail(err)
        return items

    def _run(self, rel: str, opts: tuple):
        path = os.path.join(self.corpus, rel)
        cmd = [self.exe, "parse", path, *opts, "--format", "jsonl"]
        shown = " ".join(["chatvault parse", repr(rel), *opts, "--format jsonl"])
        if not os.path.exists(path):
            return None, f"corpus file missing: {path}"
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=self.timeout)
        except FileNotFoundError:
            return None, f"cannot run {self.exe} (not built?)"
        except PermissionError:
            return None, f"cannot execute {self.exe}"
        except subprocess.TimeoutExpired:
            return None, f"`{shown}` timed out after {self.timeout:.0f}s"
        err_text = p.stderr.decode("utf-8", "replace").strip()
        err_hint = f" (stderr: {short(err_text[:300])})" if err_text else ""
        if p.returncode != 0:
            return None, f"`{shown}` exited with {p.returncode}{err_hint}"
        try:
            out = p.stdout.decode("utf-8")
        except UnicodeDecodeError as e:
            return None, f"`{shown}` wrote invalid UTF-8 on stdout: {e}"
        items = []
        for n, line in enumerate(out.split("\n"), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                return None, f"`{shown}` output line {n} is not JSON ({e}): {short(line[:200])}"
            if not isinstance(obj, dict):
                return None, f"`{shown}` output line {n} is not a JSON object"
            items.append(obj)
        return items, None


# --------------------------------------------------------------------------------------
# Reading corpus files (for facts that name a raw date/time in the file)


def read_export_text(path: str) -> str:
    if path.lower().endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist()
                     if n.lower().endswith(".txt") and not n.startswith("__MACOSX/")]
            names.sort(key=lambda n: (os.path.basename(n) != "_chat.txt", n))
            if not names:
                raise Fail(f"no .txt inside {path}")
            data = z.read(names[0])
    else:
        with open(path, "rb") as f:
            data = f.read()
    return data.decode("utf-8", "replace")


def find_line_with(path: str, needle: str) -> int:
    """1-based number of the first line that contains needle (invisible marks removed,
    Unicode spaces read as a space, no digit directly before or after)."""
    needle = SPACES_RE.sub(" ", strip_invisible(needle))
    rx = re.compile(r"(?<!\d)" + re.escape(needle) + r"(?!\d)")
    for n, line in enumerate(read_export_text(path).split("\n"), 1):
        if rx.search(SPACES_RE.sub(" ", strip_invisible(line))):
            return n
    raise Fail(f"the corpus file has no line containing {short(needle)}")


def item_at_line(items: list[dict], line: int) -> dict:
    for it in items:
        if it.get("line") == line:
            return it
    near = [it.get("line") for it in items][:10]
    raise Fail(f"expected an item whose header is on line {line}, got none (first lines: {near})")


# --------------------------------------------------------------------------------------
# Checks


def options_for(values: dict) -> tuple:
    opt = values.get("option")
    if opt is None:
        return ()
    if opt == "daysFirst=true":
        return ("--date-order", "dmy")
    if opt == "daysFirst=false":
        return ("--date-order", "mdy")
    raise Fail(f"unknown option {opt!r}")


def item_by_index(items: list[dict], idx: int) -> dict:
    for it in items:
        if it.get("index") == idx:
            return it
    raise Fail(f"expected an item with index {idx}, got {len(items)} items")


def text_mismatch(fact: dict, key: str, expected: str, item: dict, items: list[dict]) -> str | None:
    got = item.get("text")
    if not isinstance(got, str):
        return f"text: expected {short(expected)}, got {short(got)}"
    exp = expected
    cmp_got = got
    if key == "text_as_asserted":
        # historic chat-miner: lines joined with a space, NBSP -> space, stripped
        cmp_got = " ".join(got.split("\n")).replace("\u00a0", " ").strip()
    else:
        last_index = max((it.get("index", -1) for it in items), default=-1)
        if item.get("index") == last_index and exp.endswith("\n") and not got.endswith("\n"):
            exp = exp[:-1]  # Pustur keeps the file's final newline in the last message
        if "shown stripped" in (fact.get("notes") or ""):
            cmp_got = got.rstrip()  # whatstk prints its output stripped
    if cmp_got != exp:
        return f"{key}: expected {short(exp)}, got {short(got)}"
    return None


def mismatches(fact: dict, values: dict, item: dict, items: list[dict], runner: Runner,
               ignore: set) -> list[str]:
    """Compare one item with the values of a message fact; return what differs."""
    out = []
    for key, exp in values.items():
        if key in ignore or key in IGNORED_KEYS or key in INDEX_KEYS or key == "option":
            continue
        if key == "wall_clock":
            if item.get("wall_clock") != exp:
                out.append(f"wall_clock: expected {exp}, got {item.get('wall_clock')}")
        elif key == "author":
            got = item.get("author")
            if exp is None:
                if got is not None:
                    out.append(f"author: expected null, got {short(got)}")
            elif not isinstance(got, str) or norm_author_got(got) != norm_author_expected(exp):
                out.append(f"author: expected {short(norm_author_expected(exp))}, got {short(got)}")
        elif key in ("text", "text_as_asserted"):
            m = text_mismatch(fact, key, exp, item, items)
            if m:
                out.append(m)
        elif key == "system":
            if (item.get("kind") == "system") != bool(exp):
                out.append(f"kind: expected {'system' if exp else 'not system'}, got {item.get('kind')}")
        elif key == "type":
            if exp != "text":
                out.append(f"unsupported type {exp!r} in fact")
            elif not is_text_message(item):
                out.append("type: expected a text message (kind message, no attachment/location/"
                           f"call/placeholder, not deleted), got {describe(item)}")
        elif key in ("day", "month"):
            wc = item.get("wall_clock") or ""
            m = re.match(r"(\d{4})-(\d{2})-(\d{2})T", wc)
            got = None if not m else int(m.group(3) if key == "day" else m.group(2))
            if got != exp:
                out.append(f"{key}: expected {exp}, got {got} (wall_clock {wc})")
        elif key == "epoch_if_utc":
            want = dt.datetime.fromtimestamp(exp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            try:
                utc_items = runner.items(fact["file"], ("--tz", "UTC"))
                other = item_by_index(utc_items, item.get("index"))
                if other.get("utc") != want:
                    out.append(f"utc with --tz UTC: expected {want}, got {other.get('utc')}")
            except Fail as e:
                out.append(f"utc with --tz UTC: {e}")
        else:
            out.append(f"unhandled key {key!r} in fact")
    return out


def check_message(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"], options_for(v))
    idx_key = next((k for k in INDEX_KEYS if k in v), None)
    if idx_key is not None:
        item = item_by_index(items, v[idx_key])
        bad = mismatches(fact, v, item, items, runner, ignore)
        if bad:
            raise Fail(f"at index {v[idx_key]}: " + "; ".join(bad))
        return
    # No index: some item must match every value; candidates share the wall clock if given.
    cands = [it for it in items if "wall_clock" not in v or it.get("wall_clock") == v["wall_clock"]]
    if not cands:
        raise Fail(f"expected an item at {v.get('wall_clock')}, got none")
    results = [(mismatches(fact, v, it, items, runner, ignore), it) for it in cands]
    if any(not bad for bad, _ in results):
        return
    bad, it = min(results, key=lambda r: len(r[0]))
    raise Fail(f"at index {it.get('index')}: " + "; ".join(bad))


def check_message_count(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    errs = []
    if v.get("counts_system_messages"):
        if len(items) != v["count"]:
            errs.append(f"expected {v['count']} items, got {len(items)}")
    else:
        n = sum(1 for it in items if is_text_message(it))
        if n != v["count"]:
            others = [it.get("index") for it in items if is_text_message(it)]
            errs.append(f"expected {v['count']} text messages, got {n} (indexes {others})")
    if "count_with_system" in v and len(items) != v["count_with_system"]:
        errs.append(f"expected {v['count_with_system']} items in all, got {len(items)}")
    if errs:
        raise Fail("; ".join(errs))


def text_messages_with(items, text):
    return [it for it in items if is_text_message(it)
            and strip_leading_mark(it.get("text") or "") == text]


def check_message_exists(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    if not text_messages_with(items, v["text"]):
        anyk = [it for it in items if strip_leading_mark(it.get("text") or "") == v["text"]]
        got = describe(anyk[0]) if anyk else "no item with that text"
        raise Fail(f"expected a text message {short(v['text'])}, got {got}")


def check_message_absent(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    texts = v.get("text_any_of") or [v["text"]]

    def hit(got: str, exp: str) -> bool:
        variants = {strip_leading_mark(got),
                    strip_invisible(got).replace("\u00a0", " ").strip()}
        if exp.endswith("..."):
            return any(g.startswith(exp[:-3]) for g in variants)
        return exp in variants

    bad = [(exp, it) for exp in texts for it in items
           if is_text_message(it) and hit(it.get("text") or "", exp)]
    if bad:
        exp, it = bad[0]
        raise Fail(f"expected no text message {short(exp)}, got {describe(it)}")


def check_message_count_matching(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    hits = text_messages_with(items, v["text"])
    if len(hits) != v["count"]:
        raise Fail(f"expected {v['count']} text messages {short(v['text'])}, got {len(hits)} "
                   f"(indexes {[it.get('index') for it in hits]})")


def check_attachment(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    name = v.get("file_name")
    if "index" in v:
        pool = [item_by_index(items, v["index"])]
        where = f"at index {v['index']}"
    else:
        pool = items
        where = "in the file"
    if name is None:
        it = pool[0]
        if it.get("attachments"):
            raise Fail(f"expected no attachment {where}, got {short(it.get('attachments'))}")
        return
    found = [(it, a) for it in pool for a in (it.get("attachments") or []) if a.get("name") == name]
    if not found:
        got = describe(pool[0]) if len(pool) == 1 else \
            short([a.get("name") for it in pool for a in (it.get("attachments") or [])], 600)
        raise Fail(f"expected attachment {short(name)} {where}, got {got}")
    if "type" in v:
        want = ATTACHMENT_TYPES.get(v["type"])
        if want is None:
            raise Fail(f"unknown attachment type {v['type']!r} in fact")
        if not any(a.get("type") in want for _, a in found):
            raise Fail(f"attachment {short(name)}: expected type {'/'.join(sorted(want))}, "
                       f"got {found[0][1].get('type')}")


def coord_equal(got, exp: str) -> bool:
    if got is None:
        return False
    if str(got) == exp:
        return True
    try:
        return abs(float(got) - float(exp)) < 1e-9
    except (TypeError, ValueError):
        return False


def check_location(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    hits = [it for it in items if isinstance(it.get("location"), dict)
            and it["location"].get("url") == v["link"]]
    if not hits:
        locs = [it["location"] for it in items if isinstance(it.get("location"), dict)]
        raise Fail(f"expected an item with location.url {short(v['link'])}, got locations {short(locs, 600)}")
    loc = hits[0]["location"]
    errs = []
    for key in ("latitude", "longitude"):
        if key in v and not coord_equal(loc.get(key), v[key]):
            errs.append(f"{key}: expected {v[key]}, got {short(loc.get(key))}")
    if "venue_text" in v and loc.get("venue") != v["venue_text"]:
        errs.append(f"venue: expected {short(v['venue_text'])}, got {short(loc.get('venue'))}")
    if errs:
        raise Fail("; ".join(errs))


def check_date_order_inference(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])  # no --date-order: inference is under test
    first = item_by_index(items, 0)
    if first.get("wall_clock") != v["first_message_wall_clock"]:
        raise Fail(f"expected {v['detected']} reading, first wall_clock {v['first_message_wall_clock']}, "
                   f"got {first.get('wall_clock')}")


def check_date_conversion(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    line = find_line_with(os.path.join(runner.corpus, fact["file"]), v["raw_date"])
    it = item_at_line(items, line)
    got = (it.get("wall_clock") or "")[:10]
    if got != v["gregorian"]:
        raise Fail(f"{short(v['raw_date'])} (line {line}): expected {v['gregorian']}, got {it.get('wall_clock')}")


def time_conversion_file(fact, corpus: str) -> str:
    m = re.search(r"([\w./ -]*?\.txt)", fact.get("notes") or "")
    if not m:
        raise Fail("time_conversion notes name no .txt file")
    tail = m.group(1).strip()
    # strip leading words until a path suffix matches a corpus file
    parts = tail.split(" ")
    for i in range(len(parts)):
        suffix = " ".join(parts[i:])
        for root, _dirs, files in os.walk(corpus):
            for f in files:
                full = os.path.join(root, f)
                if full.endswith("/" + suffix):
                    return os.path.relpath(full, corpus)
    raise Fail(f"no corpus file matches {tail!r} from the notes")


def check_time_conversion(fact, runner, ignore):
    v = fact["values"]
    rel = fact.get("file") or time_conversion_file(fact, runner.corpus)
    items = runner.items(rel)
    line = find_line_with(os.path.join(runner.corpus, rel), v["raw_time"])
    it = item_at_line(items, line)
    got = (it.get("wall_clock") or "")[11:]
    if got != v["time_24h"]:
        raise Fail(f"{short(v['raw_time'])} in {rel} line {line}: expected {v['time_24h']}, "
                   f"got {it.get('wall_clock')}")


RECORD_HEADER_RE = re.compile(r"^[\u200e\u200f\ufeff]*(?:\[[^\]\n]*\]\s|[^\n]*?\s-\s)")


def check_raw_record(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    it = item_by_index(items, v["index"])
    rec = v["record"]
    m = RECORD_HEADER_RE.match(rec)
    if not m:
        raise Fail("cannot find the header in the record")
    author, sep, text = rec[m.end():].partition(": ")
    errs = []
    if v.get("system") is False or sep:
        if it.get("kind") == "system":
            errs.append("kind: expected not system, got system")
        if it.get("author") != author:
            errs.append(f"author: expected {short(author)}, got {short(it.get('author'))}")
        if it.get("text") != text:
            errs.append(f"text: expected {short(text)}, got {short(it.get('text'))}")
    else:
        if it.get("kind") != "system":
            errs.append(f"kind: expected system, got {it.get('kind')}")
    if errs:
        raise Fail(f"at index {v['index']}: " + "; ".join(errs))


def check_first_last(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    wcs = [it.get("wall_clock") for it in items if isinstance(it.get("wall_clock"), str)]
    if not wcs:
        raise Fail("no items with a wall_clock")
    errs = []
    if "earliest_wall_clock" in v and min(wcs) != v["earliest_wall_clock"]:
        errs.append(f"earliest: expected {v['earliest_wall_clock']}, got {min(wcs)}")
    if "newest_wall_clock" in v and max(wcs) != v["newest_wall_clock"]:
        errs.append(f"newest: expected {v['newest_wall_clock']}, got {max(wcs)}")
    if errs:
        raise Fail("; ".join(errs))


def check_system_author(fact, runner, ignore):
    v = fact["values"]
    items = runner.items(fact["file"])
    want = norm_author_expected(v["author"])
    rows = [it for it in items if isinstance(it.get("author"), str)
            and norm_author_got(it["author"]) == want]
    if not rows:
        raise Fail(f"expected items with author {short(want)}, got none")
    bad = [it for it in rows if it.get("kind") != "system"]
    if bad:
        raise Fail(f"expected every item of {short(want)} to be system, got {describe(bad[0])}")


CHECKS = {
    "message": check_message,
    "message_count": check_message_count,
    "message_count_matching": check_message_count_matching,
    "message_exists": check_message_exists,
    "message_absent": check_message_absent,
    "attachment": check_attachment,
    "location": check_location,
    "date_conversion": check_date_conversion,
    "date_order_inference": check_date_order_inference,
    "raw_record": check_raw_record,
    "first_last": check_first_last,
    "system_author": check_system_author,
    "time_conversion": check_time_conversion,
}


def selected(fact: dict) -> bool:
    f = fact.get("file")
    if isinstance(f, str):
        return f.lower().endswith((".txt", ".zip"))
    return fact.get("kind") == "time_conversion"


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chatvault", default=os.path.join(repo, "build", "chatvault"))
    ap.add_argument("--corpus", default=os.path.normpath(os.path.join(repo, "..", "shared", "corpus")))
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per CLI run")
    ap.add_argument("--only", action="append", default=[], help="check only ids with this prefix")
    args = ap.parse_args()

    with open(os.path.join(args.corpus, "expected.json"), encoding="utf-8") as f:
        expected = json.load(f)
    facts = [a for a in expected["assertions"] if selected(a)]
    if args.only:
        facts = [a for a in facts if any(a["id"].startswith(p) for p in args.only)]
    if len(EXCEPTIONS) > 5:
        print("FAIL setup: more than 5 EXCEPTIONS")
        return 1

    runner = Runner(os.path.abspath(args.chatvault), args.corpus, args.timeout)
    passed = failed = 0
    for fact in facts:
        fid = fact["id"]
        exc = EXCEPTIONS.get(fid, {})
        ignore = set(exc.get("ignore", []))
        check = CHECKS.get(fact["kind"])
        try:
            if check is None:
                raise Fail(f"no check for kind {fact['kind']!r}")
            check(fact, runner, ignore)
        except Fail as e:
            failed += 1
            print(f"FAIL {fid}: {e}")
        except Exception as e:  # a bug here or output of an unexpected shape
            failed += 1
            print(f"FAIL {fid}: checker error {type(e).__name__}: {e}")
        else:
            passed += 1
            print(f"ok {fid}")
            if exc:
                print(f"note {fid}: partly excepted: {exc['reason']}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
    sys.exit(main())
