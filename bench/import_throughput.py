#!/usr/bin/env python3
"""Whole-process import benchmark: `chatvault import` of a generated export into a fresh
archive, durably (SQLite synchronous=FULL, packs fsynced), as a person would run it. See
bench/README.md.

    import_throughput.py [--chatvault build/chatvault] [--messages 1000000]
                         [--attachment-percent 5] [--attachment-gib 2] [--keep DIR] [--cpus 0,1]

Row 1: an unpacked Android export (bench/gen_export.py, ~80 bytes a message, 5% multi-line,
unicode) in which --attachment-percent of the messages carry a media file beside the text
(random bytes: sizes drawn from a WhatsApp-like mix — photos 20-150 KB, voice notes 5-60 KB,
stickers 10-40 KB, documents 50-500 KB). Reports messages/s (items / wall seconds), input
and archive sizes and their ratio (archive ÷ input, input = text + media), and peak RSS.
Row 2: one --attachment-gib GiB attachment: peak RSS (target: at most 128 MiB) and MB/s.

Targets (issue 4): at least 50,000 messages/s on this 2-core machine, peak RSS at most
256 MiB, archive at most 1.2x the input; the huge attachment at most 128 MiB. Exit 0 whatever
the numbers; 1 with --check when a target is missed; 2 when the harness cannot run.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from benchlib import huge_attachment_export, run_measured  # noqa: E402
OWNER = "+4915112345678=owner@bench.example"
OWNER_NAME = "Anna Schmidt"  # the first author gen_export.py writes
MEDIA_MIX = [  # (prefix, extension, min KB, max KB, weight)
    ("IMG", "jpg", 20, 150, 55),
    ("PTT", "opus", 5, 60, 25),
    ("STK", "webp", 10, 40, 12),
    ("DOC", "pdf", 50, 500, 8),
]
# Each file starts like the real format (what content sniffing reads), then random bytes:
# compressed media is incompressible, and that is what the archive stores.
MEDIA_HEADERS = {
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    "opus": b"OggS\x00\x02" + bytes(8) + b"\x01\x02\x03\x04" + bytes(8) + b"\x01\x13OpusHead",
    "webp": b"RIFF\x10\x00\x00\x00WEBPVP8 ",
    "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build_export(keep: Path, messages: int, percent: float, seed: int = 1) -> Path:
    """An unpacked export folder; reused when generated before with the same arguments."""
    folder = keep / f"import-android-{messages}-{percent:g}pct"
    done = folder / ".complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    plain = keep / f"import-android-{messages}.plain.txt"
    if not plain.exists():
        subprocess.run([sys.executable, str(HERE / "gen_export.py"), "--family", "android", "--messages",
                        str(messages), "--seed", str(seed), "-q", str(plain)], check=True)
    rng = random.Random(seed)
    header = re.compile(r"^(\d\d/\d\d/\d{4}, \d\d:\d\d - )([^:\n]{1,60}): ")
    weights = [m[4] for m in MEDIA_MIX]
    block = os.urandom(1 << 20)
    n = 0
    with open(plain, encoding="utf-8") as src, \
            open(folder / "WhatsApp Chat with Bench.txt", "w", encoding="utf-8") as out:
        for line in src:
            m = header.match(line)
            if m and rng.random() < percent / 100:
                prefix, ext, lo, hi, _ = rng.choices(MEDIA_MIX, weights)[0]
                name = f"{prefix}-20260101-WA{n:06d}.{ext}"
                n += 1
                size = rng.randint(lo * 1024, hi * 1024)
                offset = rng.randrange(0, len(block) - size) if size < len(block) else 0
                head = MEDIA_HEADERS[ext]
                (folder / name).write_bytes(head + block[offset:offset + size - len(head)])
                line = f"{m.group(1)}{m.group(2)}: {name} (file attached)\n"
            out.write(line)
    done.touch()
    return folder


def import_once(chatvault: str, export: Path, cpus: str | None, owner: str, owner_name: str) -> dict:
    archive = Path(tempfile.mkdtemp(prefix="cv-import-bench-"))
    try:
        subprocess.run([chatvault, "init", "--archive", str(archive / "a")], check=True, capture_output=True)
        wall, rss, stdout = run_measured([chatvault, "import", str(export), "--archive", str(archive / "a"),
                                          "--tz", "Europe/Berlin", "--owner", owner, "--owner-name", owner_name],
                                         cpus)
        m = re.search(r"seen (\d+)\s+new (\d+)", stdout)
        if not m:
            raise RuntimeError(f"unexpected import output: {stdout!r}")
        return {"items": int(m.group(1)), "wall": wall, "rss_mib": rss / 1024,
                "archive_bytes": dir_size(archive / "a")}
    finally:
        shutil.rmtree(archive, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chatvault", default="build/chatvault")
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--attachment-percent", type=float, default=5.0)
    ap.add_argument("--attachment-gib", type=float, default=2.0)
    ap.add_argument("--keep", help="folder for generated inputs (reused between runs)")
    ap.add_argument("--cpus", default="0,1", help="taskset CPU list ('' for none)")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()

    chatvault = os.path.abspath(a.chatvault)
    if not os.access(chatvault, os.X_OK) or not os.path.exists("/usr/bin/time"):
        print("import_throughput: needs a built chatvault and GNU time (/usr/bin/time)", file=sys.stderr)
        return 2
    keep_ctx = tempfile.TemporaryDirectory() if not a.keep else None
    keep = Path(a.keep or keep_ctx.name)
    keep.mkdir(parents=True, exist_ok=True)
    missed = []
    try:
        print(f"{'input':<34} {'items':>9} {'wall s':>7} {'items/s':>9} {'input MB':>9} {'archive MB':>10} "
              f"{'ratio':>6} {'RSS MiB':>8}")
        if a.messages > 0:
            export = build_export(keep, a.messages, a.attachment_percent)
            input_bytes = dir_size(export)
            r = import_once(chatvault, export, a.cpus or None, OWNER, OWNER_NAME)
            ratio = r["archive_bytes"] / input_bytes
            rate = r["items"] / r["wall"]
            print(f"{export.name:<34} {r['items']:>9} {r['wall']:>7.2f} {rate:>9.0f} {input_bytes / 1e6:>9.1f} "
                  f"{r['archive_bytes'] / 1e6:>10.1f} {ratio:>6.2f} {r['rss_mib']:>8.1f}")
            if rate < 50_000:
                missed.append(f"{rate:.0f} messages/s < 50,000")
            if r["rss_mib"] > 256:
                missed.append(f"peak RSS {r['rss_mib']:.1f} MiB > 256")
            if ratio > 1.2:
                missed.append(f"archive {ratio:.2f}x the input > 1.2x")
        if a.attachment_gib > 0:
            export = huge_attachment_export(keep, "import-attachment", a.attachment_gib)
            input_bytes = dir_size(export)
            r = import_once(chatvault, export, a.cpus or None, "+4915112345678=owner@bench.example", "Ana")
            print(f"{export.name:<34} {r['items']:>9} {r['wall']:>7.2f} {input_bytes / 1e6 / r['wall']:>7.1f}MB/s "
                  f"{input_bytes / 1e6:>9.1f} {r['archive_bytes'] / 1e6:>10.1f} "
                  f"{r['archive_bytes'] / input_bytes:>6.2f} {r['rss_mib']:>8.1f}")
            if r["rss_mib"] > 128:
                missed.append(f"huge attachment: peak RSS {r['rss_mib']:.1f} MiB > 128")
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        print(f"import_throughput: {e}", file=sys.stderr)
        return 2
    finally:
        if keep_ctx:
            keep_ctx.cleanup()
    for m in missed:
        print(f"target missed: {m}")
    return 1 if missed and a.check else 0


if __name__ == "__main__":
    sys.exit(main())
