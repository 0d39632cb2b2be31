#!/usr/bin/env python3
"""Whole-process render benchmark: `chatvault render` on a generated export and on one huge
attachment, as a person would run it. See bench/README.md.

    render_throughput.py [--chatvault build/chatvault] [--messages 1000000]
                         [--attachment-gib 2] [--out-dir /dev/shm] [--keep DIR] [--cpu 0]

Row 1: a generated Android export of --messages messages (bench/gen_export.py, ~80 bytes a
message, 5% multi-line, unicode) rendered to one .eml per item: items/s, output MB/s, input
MB/s, peak RSS. The output goes to --out-dir (default /dev/shm, a tmpfs) so that the row
measures rendering, not this machine's file-creation cost; pass a disk folder to see that.
Row 2: an export whose one message carries a --attachment-gib GiB file (random bytes),
rendered to a single email: MB/s and peak RSS (target: at most 64 MiB).

Peak RSS is GNU time's %M of the chatvault process; wall time is measured around it. The
outputs are removed after each run. Exit 0 whatever the numbers; 1 with --check when the
RSS target is missed or a render fails; 2 when the harness cannot run.
"""

from __future__ import annotations

import argparse
import os
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
RSS_TARGET_MIB = 64


def rendered_totals(stdout: str) -> tuple[int, float]:
    m = re.search(r"rendered (\d+) emails? \(([\d.]+) MB\)", stdout)
    if not m:
        raise RuntimeError(f"unexpected render output: {stdout!r}")
    return int(m.group(1)), float(m.group(2))


def generated_export(keep: Path, messages: int) -> Path:
    path = keep / f"render-android-{messages}.txt"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "gen_export.py"), "--family", "android", "--messages",
                        str(messages), str(path)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chatvault", default="build/chatvault")
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--attachment-gib", type=float, default=2.0)
    ap.add_argument("--out-dir", default="/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir())
    ap.add_argument("--keep", help="folder for generated inputs (reused between runs)")
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()

    chatvault = os.path.abspath(a.chatvault)
    if not os.access(chatvault, os.X_OK) or not os.path.exists("/usr/bin/time"):
        print("render_throughput: needs a built chatvault and GNU time (/usr/bin/time)", file=sys.stderr)
        return 2
    cpu = None if a.no_pin else str(a.cpu)
    keep_ctx = tempfile.TemporaryDirectory() if not a.keep else None
    keep = Path(a.keep or keep_ctx.name)
    keep.mkdir(parents=True, exist_ok=True)
    failed = False
    print(f"{'input':<34} {'items':>9} {'wall s':>8} {'items/s':>10} {'out MB/s':>9} {'in MB/s':>8} {'RSS MiB':>8}")
    try:
        if a.messages > 0:
            export = generated_export(keep, a.messages)
            out = Path(tempfile.mkdtemp(prefix="cv-render-", dir=a.out_dir))
            try:
                wall, rss, stdout = run_measured([chatvault, "render", str(export), "--out", str(out), "--tz",
                                                  "Europe/Berlin"], cpu)
                items, out_mb = rendered_totals(stdout)
                in_mb = export.stat().st_size / 1e6
                print(f"{export.name:<34} {items:>9} {wall:>8.2f} {items / wall:>10.0f} {out_mb / wall:>9.1f} "
                      f"{in_mb / wall:>8.1f} {rss / 1024:>8.1f}")
            finally:
                shutil.rmtree(out, ignore_errors=True)
        if a.attachment_gib > 0:
            folder = huge_attachment_export(keep, "render-attachment", a.attachment_gib)
            out = Path(tempfile.mkdtemp(prefix="cv-render-", dir=a.out_dir))
            try:
                wall, rss, stdout = run_measured([chatvault, "render", str(folder), "--out", str(out)], cpu)
                items, out_mb = rendered_totals(stdout)
                eml = out / "0000000.eml"
                size = eml.stat().st_size
                expected = int(a.attachment_gib * (1 << 30)) * 4 / 3 * 78 / 76
                if size < expected:
                    raise RuntimeError(f"{eml} is {size} bytes; the attachment alone needs {expected:.0f}")
                rss_mib = rss / 1024
                print(f"{folder.name:<34} {items:>9} {wall:>8.2f} {items / wall:>10.1f} "
                      f"{out_mb / wall:>9.1f} {a.attachment_gib * 1073.741824 / wall:>8.1f} {rss_mib:>8.1f}")
                if rss_mib > RSS_TARGET_MIB:
                    print(f"peak RSS {rss_mib:.1f} MiB is over the {RSS_TARGET_MIB} MiB target")
                    failed = True
            finally:
                shutil.rmtree(out, ignore_errors=True)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        print(f"render_throughput: {e}", file=sys.stderr)
        failed = True
    finally:
        if keep_ctx:
            keep_ctx.cleanup()
    return 1 if failed and a.check else 0


if __name__ == "__main__":
    sys.exit(main())
