"""What the whole-process benchmarks share: running a command under GNU time, and the export
whose one message carries a huge attachment."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def run_measured(argv: list[str], cpus: str | None) -> tuple[float, int, str]:
    """Runs argv under GNU time (pinned to `cpus` with taskset when given); returns (wall
    seconds, peak RSS in KiB, stdout). Raises RuntimeError when the command fails."""
    wall, rss, _, stdout = run_measured_cpu(argv, cpus)
    return wall, rss, stdout


def run_measured_cpu(argv: list[str], cpus: str | None) -> tuple[float, int, float, str]:
    """run_measured(), with the CPU seconds (user + system) GNU time reports: (wall seconds,
    peak RSS in KiB, CPU seconds, stdout). On a shared machine the CPU time says what the
    command cost when the wall time says how long it waited for cores too."""
    with tempfile.NamedTemporaryFile("r") as out_file:
        full = ["/usr/bin/time", "-f", "%M %U %S", "-o", out_file.name, *argv]
        if cpus and shutil.which("taskset"):
            full = ["taskset", "-c", cpus, *full]
        start = time.perf_counter()
        proc = subprocess.run(full, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-2000:]}")
        rss, user, sys_ = out_file.read().strip().splitlines()[-1].split()
    return wall, int(rss), float(user) + float(sys_), proc.stdout


def huge_attachment_export(keep: Path, name: str, gib: float) -> Path:
    """An unpacked export folder whose first message carries a `gib` GiB video of random
    bytes; reused when it exists with the right size."""
    folder = keep / f"{name}-{gib:g}GiB"
    media = folder / "VID-20261124-WA0001.mp4"
    size = int(gib * (1 << 30))
    if not media.exists() or media.stat().st_size != size:
        folder.mkdir(parents=True, exist_ok=True)
        block = os.urandom(1 << 20)
        with open(media, "wb") as f:
            left = size
            while left > 0:
                f.write(block[:min(left, len(block))])
                left -= len(block)
        (folder / "WhatsApp Chat with Big File.txt").write_text(
            "24/11/2026, 10:00 - Ana: VID-20261124-WA0001.mp4 (file attached)\nthe recording\n"
            "24/11/2026, 10:01 - Ben: got it\n", encoding="utf-8")
    return folder
