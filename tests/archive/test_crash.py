#!/usr/bin/env python3
"""Crash safety: a large import SIGKILLed at 20+ random moments and re-run until it completes
gives, item for item, the archive one uninterrupted import gives.

Usage:
    test_crash.py [--chatvault BUILD/chatvault] [--messages N] [--kills K] [--batch B]
                  [--seed S] [--keep]

Steps:
  1. bench/gen_export.py writes an Android group export of N messages (default 60,000); the
     files of every other "(file attached)" line are written beside it (deterministic bytes),
     so some items carry stored attachments and the rest render as missing.
  2. Archive A: one clean `import --batch B` (B = 500 by default, so there are many commits).
     Its duration T sets the kill delays.
  3. Archive B: the same import started again and again and SIGKILLed, until K (default 24)
     kills have hit a running process; then one run to the end. The kill points are K-3
     random fractions of the import, sorted, plus three in the first 50 ms (opening,
     recovery): a run aimed at fraction g is killed once B's journal (read as a file) records
     g*N items, after a further random part of one batch's time, so kills land inside
     batches all along the import. Every kill point is printed.
  4. Compare A and B: `mailboxes --json`; `ls --json` of each mailbox (message_id, kind, utc,
     deleted, size, conversation, sender, text) keyed by Message-ID; the bytes of every email
     of one mailbox from `export --format mbox` (one file: 10^5 .eml files cost more to
     create and delete than the import), keyed by its Message-ID header (equal bytes mean
     equal sha256, text and attachments); `show --json` of a random sample (sha256,
     attachments, text, mailboxes); `verify --json` of B passes and counts as many items
     and blobs as A's.

The seed is random unless --seed (or CV_CRASH_SEED) is given; it is printed, so a failure can
be replayed. Exit 0 when the archives agree, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from cvarchive import Failures, Vault, common_args, run_in_temp

CSV = "phone,email\n+49 170 1234567,de.member@example.com\n+44 7700 900123,uk.member@example.com\n"
BOXES = ("de.member@example.com", "uk.member@example.com")
MID = re.compile(rb"^Message-ID:\s*<([^>]+)>", re.I | re.M)


def write_media(export_txt: str) -> int:
    """Writes the file of every other attachment the export names, beside it."""
    text = open(export_txt, encoding="utf-8").read()
    names = sorted(set(re.findall(r"([A-Z]+-\d{8}-WA\d{4}\.[a-z0-9]+) \(file attached\)", text)))
    folder = os.path.dirname(export_txt)
    for i, name in enumerate(names[::2]):
        seed = hashlib.sha256(name.encode()).digest()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(b"".join(hashlib.sha256(seed + bytes([k])).digest() for k in range(8 + i % 120)))
    return len(names[::2])


class JournalWatch:
    """Follows B's journal as a plain file (never opening B's database between kills, so that
    nothing but chatvault recovers or checkpoints it) and counts the new items its import
    entries record. A cut last line is not counted until it is complete."""

    def __init__(self, archive: str) -> None:
        self.path = os.path.join(archive, "journal")
        self.offset = 0
        self.entries = 0
        self.items = 0

    def poll(self) -> int:
        try:
            size = os.path.getsize(self.path)
        except FileNotFoundError:
            return self.items
        if size < self.offset:  # rewritten (a cut line repaired): count again
            self.offset = self.entries = self.items = 0
        if size == self.offset:
            return self.items
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read(size - self.offset)
        end = data.rfind(b"\n") + 1
        for line in data[:end].split(b"\n"):
            try:
                body = json.loads(line).get("body", {})
            except ValueError:
                continue
            self.entries += 1
            if body.get("type") == "import":
                self.items += len(body.get("items", []))
        self.offset += end
        return self.items


def emails_by_id(folder: str) -> dict[bytes, bytes]:
    """Message-ID → bytes of each message in the one mbox file `export --format mbox` wrote
    (its "From " separator line included: it is made from the item, so equal items give equal
    entries). One big file rather than one per item: creating and deleting 10^5 small files
    costs more here than the whole import."""
    names = os.listdir(folder)
    if len(names) != 1:
        return {b"export wrote %d files" % len(names): b""}
    with open(os.path.join(folder, names[0]), "rb") as fh:
        data = fh.read()
    starts = [m.start() for m in re.finditer(rb"^From ", data, re.M)]
    out: dict[bytes, bytes] = {}
    for i, at in enumerate(starts):
        entry = data[at:starts[i + 1] if i + 1 < len(starts) else len(data)]
        m = MID.search(entry[:4096])
        key = m.group(1) if m else b"no Message-ID at byte %d" % at
        out[key] = entry
    return out


def listing(v: Vault, box: str) -> dict[str, dict]:
    rows = v.must("ls", box, "--json", "--limit", "100000000").json()
    return {r["message_id"]: {k: x for k, x in r.items() if k != "item"} for r in rows}


def main() -> int:
    ap, repo = common_args(__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=60000)
    ap.add_argument("--kills", type=int, default=24)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CV_CRASH_SEED", "0")) or None)
    ap.add_argument("--gen", default=os.path.join(repo, "bench", "gen_export.py"))
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    print(f"seed {seed} (replay with --seed {seed})")
    rng = random.Random(seed)
    return run_in_temp(args, "cv-crash-", lambda t, g: run(args, rng, t, g))


def run(args, rng: random.Random, tmp: str, f: Failures) -> None:
    src_dir = os.path.join(tmp, "export")
    os.makedirs(src_dir)
    txt = os.path.join(src_dir, "WhatsApp Chat with Familie.txt")
    subprocess.run([sys.executable, args.gen, "--family", "android", "--messages", str(args.messages), "-q", txt],
                   check=True)
    media = write_media(txt)
    csv = os.path.join(tmp, "map.csv")
    with open(csv, "w", encoding="utf-8") as fh:
        fh.write(CSV)
    print(f"export: {args.messages} messages, {os.path.getsize(txt)} bytes, {media} attachment files")
    imp = ["import", src_dir, "--tz", "Europe/Berlin", "--mapping", csv, "--batch", str(args.batch), "--json"]

    a = Vault(args.chatvault, os.path.join(tmp, "A"))
    a.init()
    t0 = time.monotonic()
    rep_a = a.must(*imp).json()["total"]
    clean = time.monotonic() - t0
    print(f"clean import into A: {clean:.2f} s, {rep_a}")

    t0 = time.monotonic()
    again = a.must(*imp).json()["total"]
    dup_pass = time.monotonic() - t0
    print(f"re-import into A (all duplicates): {dup_pass:.2f} s, new {again['new']}")
    f.equal(again["new"], 0, "crash: a second clean import adds nothing")

    b = Vault(args.chatvault, os.path.join(tmp, "B"))
    b.init()
    argv = [b.exe, *imp, "--archive", b.archive]
    # Kill points: K-3 random fractions of the import, sorted, plus three in the first 50 ms
    # (opening the archive, recovering it). A run aimed at fraction g is killed once the
    # journal records g*N items, after a further random part of one batch's time, so the
    # kill lands inside a batch; a fraction already passed is hit during the resumed run's
    # duplicate pass over what is committed.
    targets = sorted(rng.random() for _ in range(max(0, args.kills - 3)))
    early = [rng.uniform(0.003, 0.05) for _ in range(min(3, args.kills))]
    batch_time = clean * args.batch / max(1, args.messages)
    watch = JournalWatch(b.archive)
    kills, runs, finished_early = 0, 0, 0
    while kills < args.kills:
        done = watch.poll()
        if early:
            kind, goal, delay = "early", None, early.pop()
        elif targets and targets[0] * args.messages > done:
            g = targets.pop(0)
            kind, goal, delay = f"{g:5.1%}", int(g * args.messages), rng.uniform(0, batch_time)
        else:
            if targets:
                targets.pop(0)
            kind, goal, delay = "dups", None, rng.uniform(0.003, max(0.01, dup_pass * done / max(1, args.messages)))
        runs += 1
        started = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=b.env)
        if goal is not None:
            while p.poll() is None and watch.poll() < goal and time.monotonic() - started < 120:
                time.sleep(0.002)
        time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            print(f"kill {kills:2d}: run {runs:2d} (aim {kind:>6s}), SIGKILL {1000 * (time.monotonic() - started):7.1f} ms "
                  f"after start, {done} items committed before; journal now {watch.entries} entries, "
                  f"{watch.poll()} items")
        else:
            finished_early += 1
            print(f"         run {runs:2d} (aim {kind:>6s}) finished, exit {p.returncode}, before its kill")
        err = p.stderr.read().decode("utf-8", "replace")
        p.stderr.close()
        if p.returncode not in (0, -signal.SIGKILL):
            f.check(False, f"crash: resumed run {runs} exits 0 or is killed", f"exit {p.returncode}: {err[-600:]}")
    final = b.run(*imp)
    f.check(final.rc == 0, "crash: the last, uninterrupted run completes", final.describe())
    if final.rc == 0:
        print(f"final run on B: {final.json()['total']}")
    print(f"{kills} kills over {runs} runs ({finished_early} finished before their kill)")
    f.check(kills >= 20, f"crash: at least 20 kills hit a running import (got {kills})")

    # --- compare --------------------------------------------------------------------------
    f.equal(b.mailboxes(), a.mailboxes(), "crash: same mailboxes and item counts")
    for box in BOXES:
        la, lb = listing(a, box), listing(b, box)
        missing = sorted(set(la) - set(lb))
        extra = sorted(set(lb) - set(la))
        differ = [m for m in set(la) & set(lb) if la[m] != lb[m]]
        f.check(not missing and not extra and not differ,
                f"crash: ls --json {box}: every item's message_id, kind, utc, text, deleted, size agree",
                f"{len(missing)} only in A (e.g. {missing[:2]}), {len(extra)} only in B (e.g. {extra[:2]}), "
                f"{len(differ)} differ" + (f" (e.g. A {la[differ[0]]} vs B {lb[differ[0]]})" if differ else ""))

    ea, eb = os.path.join(tmp, "mbox-A"), os.path.join(tmp, "mbox-B")
    procs = [subprocess.Popen([v.exe, "export", "--mailbox", BOXES[0], "--format", "mbox", out, "--archive", v.archive],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=v.env)
             for v, out in ((a, ea), (b, eb))]
    for p, name in zip(procs, "AB"):
        err = p.communicate()[1].decode("utf-8", "replace")
        f.check(p.returncode == 0, f"crash: export --format mbox of {name}", err.strip()[-400:])
    ma, mb = emails_by_id(ea), emails_by_id(eb)
    f.equal(len(mb), len(ma), "crash: exported email count")
    bad = [k for k in ma if mb.get(k) != ma[k]]
    f.check(not bad and set(ma) == set(mb), "crash: every email's bytes agree, per Message-ID",
            f"{len(bad)} differ or are missing in B, e.g. {[k.decode() for k in bad[:3]]}; "
            f"{len(set(mb) - set(ma))} only in B")
    f.equal(sum(1 for d in ma.values() if b"Content-Disposition: attachment" in d),
            sum(1 for d in mb.values() if b"Content-Disposition: attachment" in d),
            "crash: as many emails carry attachment parts")

    sample = rng.sample(sorted(ma), min(40, len(ma)))
    for mid in sample:
        ja, jb = a.show(mid.decode()), b.show(mid.decode())
        keys = ("message_id", "kind", "utc", "text", "deleted", "edited", "sha256", "size", "attachments",
                "mailboxes", "wall_clock", "author", "conversation", "quarantined")
        da = {k: ja.get(k) for k in keys}
        db = {k: jb.get(k) for k in keys}
        if da != db:
            f.check(False, f"crash: show --json {mid.decode()} agrees",
                    "; ".join(f"{k}: A {da[k]!r} B {db[k]!r}" for k in keys if da[k] != db[k]))
    print(f"ok   crash: show --json of {len(sample)} sampled items compared")

    procs = [subprocess.Popen([v.exe, "verify", "--json", "--archive", v.archive], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=v.env) for v in (a, b)]
    outs = [p.communicate() for p in procs]
    va, vb = (json.loads(o[0] or b"{}") for o in outs)
    f.check(procs[1].returncode == 0 and vb.get("ok") is True, "crash: verify passes on B",
            f"exit {procs[1].returncode}: findings {vb.get('findings', [])[:5]} {outs[1][1].decode()[-300:]}")
    f.equal((vb.get("items"), vb.get("blobs")), (va.get("items"), va.get("blobs")),
            "crash: verify counts (items, blobs) of B equal A's")
    pa = sum(os.path.getsize(os.path.join(a.archive, "packs", n)) for n in os.listdir(os.path.join(a.archive, "packs")))
    pb = sum(os.path.getsize(os.path.join(b.archive, "packs", n)) for n in os.listdir(os.path.join(b.archive, "packs")))
    print(f"note: pack bytes A {pa}, B {pb} (B may hold bytes of blobs whose batch was killed)")


if __name__ == "__main__":
    sys.exit(main())
