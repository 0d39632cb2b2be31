#!/usr/bin/env python3
"""Whole-process parse benchmark for `chatvault parse`: MB/s and peak RSS.

For each platform family (android, ios) and each size (default 1M and 4M messages) this
generates a synthetic export with gen_export.py (reused when already there), then runs

    chatvault parse FILE --format jsonl   > /dev/null
    chatvault parse FILE --format summary > /dev/null

--runs times each (default 3), pinned to one core, and reports the best wall time as MB/s
(input bytes / 1e6 / seconds) and the largest peak RSS of the runs. A reference row gives
`grep -c -E HEADER_RE` on the Android file: a lower bound for "look at every byte once".

Targets: >= 300 MB/s on one core, <= 32 MiB peak RSS whatever the file size. The 4M-message
rows exist to show that RSS does not grow with the input.

This is a measurement: the exit status is 0 whatever the numbers, unless --check is given,
then 1 when a target is missed (or a parse fails). 2 means the harness itself could not run.

Peak RSS method: every run is a fresh child made with os.fork() and reaped with os.wait4(),
whose rusage is the child's own. A child forked from Python, however, starts with the
Python interpreter's resident pages already counted (about 10 MiB, measured and printed as
the "fork floor"), and Linux keeps that high-water mark across exec. So when GNU time is
installed (/usr/bin/time) the child execs `time -f %M` which forks the real command from a
~1 MiB process and reports that grandchild's ru_maxrss: exact to the KiB. Without GNU time the
raw wait4 value is reported and marked with '*' (an upper bound: max(fork floor, real)).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GEN = HERE / "gen_export.py"

TARGET_MBPS = 300.0
TARGET_RSS_MIB = 32.0
GREP_RE = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}, [0-9]{1,2}:[0-9]{2} - "


@dataclass
class RunResult:
    wall: float
    rss_kib: int      # best available peak RSS of the measured command
    exact: bool       # False when rss_kib is the raw wait4 value (includes the fork floor)
    rc: int
    stderr: str


@dataclass
class Row:
    label: str
    family: str
    messages: int
    size: int
    runs: list[RunResult] = field(default_factory=list)
    items: int | None = None
    reference: bool = False

    @property
    def ok_runs(self) -> list[RunResult]:
        return [r for r in self.runs if r.rc == 0]

    @property
    def failed(self) -> bool:
        return not self.runs or any(r.rc != 0 for r in self.runs)

    @property
    def best(self) -> float | None:
        ok = self.ok_runs
        return min(r.wall for r in ok) if ok else None

    @property
    def mbps(self) -> float | None:
        b = self.best
        return self.size / 1e6 / b if b else None

    @property
    def rss_mib(self) -> float | None:
        ok = self.ok_runs
        return max(r.rss_kib for r in ok) / 1024.0 if ok else None

    @property
    def rss_exact(self) -> bool:
        return all(r.exact for r in self.ok_runs)


class Runner:
    def __init__(self, cpu: int | None):
        self.cpu = cpu
        self.taskset = shutil.which("taskset") if cpu is not None else None
        gt = Path("/usr/bin/time")
        self.gnu_time = str(gt) if gt.is_file() and os.access(gt, os.X_OK) else None
        if self.gnu_time:  # make sure it is GNU time (understands -f/-o)
            try:
                subprocess.run([self.gnu_time, "-f", "%M", "-o", os.devnull, "true"], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except (OSError, subprocess.CalledProcessError):
                self.gnu_time = None
        self.tmp = tempfile.mkdtemp(prefix="cv-bench-rss-")

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def pin_desc(self) -> str:
        if self.cpu is None:
            return "not pinned"
        return f"taskset -c {self.cpu}" if self.taskset else f"sched_setaffinity({{{self.cpu}}})"

    def run(self, argv: list[str], env: dict[str, str] | None = None, use_time: bool = True,
            stdout: str = os.devnull) -> RunResult:
        """Runs argv in a fresh child, stdout to `stdout` (/dev/null); wall time and peak RSS."""
        rss_path = os.path.join(self.tmp, "rss")
        err_path = os.path.join(self.tmp, "stderr")
        full = list(argv)
        if self.taskset:
            full = [self.taskset, "-c", str(self.cpu)] + full
        timed = bool(self.gnu_time and use_time)
        if timed:
            full = [self.gnu_time, "-f", "%M", "-o", rss_path] + full
        exe = shutil.which(full[0]) or full[0]
        if os.path.exists(rss_path):
            os.unlink(rss_path)  # never read a previous run's value
        outfd = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        errfd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # child: no Python-level cleanup, only exec or _exit
            try:
                os.dup2(outfd, 1)
                os.dup2(errfd, 2)
                if self.cpu is not None and not self.taskset:
                    os.sched_setaffinity(0, {self.cpu})
                if env is not None:
                    os.execve(exe, full, env)
                else:
                    os.execv(exe, full)
            except BaseException:
                pass
            os._exit(127)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        os.close(outfd)
        os.close(errfd)
        rc = os.waitstatus_to_exitcode(status)
        with open(err_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        rss, exact = ru.ru_maxrss, False
        if timed:
            try:
                with open(rss_path) as f:
                    lines = [ln.strip() for ln in f if ln.strip()]
                # GNU time writes "Command exited with non-zero status N" before the value
                rss, exact = int(lines[-1]), True
            except (OSError, ValueError, IndexError):
                pass
        return RunResult(wall, rss, exact, rc, err)

    def fork_floor_kib(self) -> int:
        """ru_maxrss that a fork of this Python process reports for /bin/true."""
        r = self.run(["true"], use_time=False)
        return r.rss_kib


def gen_file(directory: Path, family: str, messages: int, seed: int) -> Path:
    """Generates (or reuses) the export for these arguments."""
    gen_hash = hashlib.sha256(GEN.read_bytes()).hexdigest()[:16]
    out = directory / f"{family}-{messages}-s{seed}.txt"
    stamp = out.with_suffix(".stamp")
    want = f"{gen_hash} {family} {messages} {seed}\n"
    if out.exists() and stamp.exists() and stamp.read_text() == want:
        return out
    print(f"  generating {out.name} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(GEN), "--family", family, "--messages", str(messages),
                    "--seed", str(seed), "-q", str(out)], check=True)
    stamp.write_text(want)
    print(f"  generated {out.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr, flush=True)
    return out


def count_items(chatvault: str, path: Path) -> tuple[int | None, str]:
    """Untimed validation run: the number of JSONL lines the parse writes."""
    with tempfile.TemporaryFile() as errf:
        p = subprocess.Popen([chatvault, "parse", str(path), "--format", "jsonl"],
                             stdout=subprocess.PIPE, stderr=errf)
        n = 0
        assert p.stdout is not None
        while chunk := p.stdout.read(1 << 20):
            n += chunk.count(b"\n")
        rc = p.wait()
        errf.seek(0)
        err = errf.read().decode("utf-8", "replace")
    return (n if rc == 0 else None), err


def fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chatvault", default=str(REPO / "build" / "chatvault"),
                    help="binary to measure (default: build/chatvault in the repository)")
    ap.add_argument("--messages", type=int, nargs="+", default=[1_000_000, 4_000_000],
                    help="export sizes in messages (default: 1000000 4000000)")
    ap.add_argument("--family", nargs="+", choices=("android", "ios"), default=["android", "ios"])
    ap.add_argument("--formats", nargs="+", default=["jsonl", "summary"])
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement; the best time counts")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cpu", type=int, default=0, help="core to pin to (default 0)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    ap.add_argument("--keep", metavar="DIR",
                    help="generate into DIR and keep the files (reused by later runs with the same arguments)")
    ap.add_argument("--no-validate", action="store_true",
                    help="skip the untimed run that counts the JSONL items")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)

    chatvault = os.path.abspath(args.chatvault)
    if not (os.path.isfile(chatvault) and os.access(chatvault, os.X_OK)):
        print(f"parse_throughput: no executable at {chatvault} (build it, or pass --chatvault)",
              file=sys.stderr)
        return 2

    if args.keep:
        data_dir = Path(args.keep)
        data_dir.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.mkdtemp(prefix="cv-bench-")
        data_dir = Path(cleanup)

    runner = Runner(None if args.no_pin else args.cpu)
    rows: list[Row] = []
    try:
        floor = runner.fork_floor_kib()
        print(f"chatvault: {chatvault}", file=sys.stderr)
        print(f"pinning: {runner.pin_desc()}; runs: {args.runs} (best time, max RSS); "
              f"RSS via {'GNU time %M (exact)' if runner.gnu_time else 'wait4 ru_maxrss (upper bound)'}; "
              f"fork floor {floor / 1024:.1f} MiB", file=sys.stderr, flush=True)
        for messages in args.messages:
            for family in args.family:
                try:
                    path = gen_file(data_dir, family, messages, args.seed)
                except subprocess.CalledProcessError as e:
                    print(f"parse_throughput: generation failed: {e}", file=sys.stderr)
                    return 2
                size = path.stat().st_size
                items = None
                if not args.no_validate:
                    items, err = count_items(chatvault, path)
                    if items is None:
                        print(f"  validation run failed on {path.name}: {err.strip()[-500:]}", file=sys.stderr)
                for f in args.formats:
                    row = Row(f"chatvault parse --format {f}", family, messages, size, items=items)
                    for _ in range(args.runs):
                        row.runs.append(runner.run([chatvault, "parse", str(path), "--format", f]))
                    rows.append(row)
                    bad = [r for r in row.runs if r.rc != 0]
                    if bad:
                        print(f"  {family} {messages} {f}: exit {bad[0].rc}: {bad[0].stderr.strip()[-500:]}",
                              file=sys.stderr)
                    print(f"  {family:7} {messages:>8} {f:8} best {fmt(row.best, '.3f')} s  "
                          f"{fmt(row.mbps, '.1f')} MB/s  {fmt(row.rss_mib, '.1f')} MiB", file=sys.stderr, flush=True)
                if family == "android":
                    grep = shutil.which("grep")
                    if grep:
                        env = dict(os.environ, LC_ALL="C")
                        row = Row("reference: grep -c -E HEADER (LC_ALL=C)", family, messages, size, reference=True)
                        # Not /dev/null: GNU grep stops at the first match when its output is
                        # /dev/null, which would measure nothing.
                        count_path = os.path.join(runner.tmp, "grep-count")
                        for _ in range(args.runs):
                            row.runs.append(runner.run([grep, "-c", "-E", GREP_RE, str(path)], env=env,
                                                       stdout=count_path))
                        try:
                            row.items = int(Path(count_path).read_text().strip())
                        except (OSError, ValueError):
                            pass
                        rows.append(row)
    finally:
        runner.close()
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)

    # ---- report -------------------------------------------------------------------------
    head = f"{'what':40} {'family':7} {'messages':>9} {'MB':>7} {'best s':>7} {'MB/s':>7} {'RSS MiB':>8} {'items':>9}  verdict"
    print()
    print(head)
    print("-" * len(head))
    misses: list[str] = []
    missed_rows = 0
    for r in rows:
        before = len(misses)
        if r.reference:
            verdict = "(reference)"
        elif r.failed:
            verdict = "FAILED (exit " + ", ".join(str(x.rc) for x in r.runs if x.rc != 0) + ")"
            misses.append(f"{r.family} {r.messages} {r.label.split()[-1]}: failed")
        else:
            v = []
            if r.mbps is not None and r.mbps < TARGET_MBPS:
                v.append("SLOW")
                misses.append(f"{r.family} {r.messages} {r.label.split()[-1]}: {r.mbps:.0f} MB/s < {TARGET_MBPS:.0f}")
            if r.rss_mib is not None and r.rss_mib > TARGET_RSS_MIB:
                v.append("RSS")
                misses.append(f"{r.family} {r.messages} {r.label.split()[-1]}: {r.rss_mib:.1f} MiB > {TARGET_RSS_MIB:.0f}")
            verdict = " ".join(v) if v else "ok"
        missed_rows += len(misses) > before
        rss = fmt(r.rss_mib, ".1f") + ("" if r.rss_exact or r.rss_mib is None else "*")
        items = "-" if r.items is None else str(r.items)
        print(f"{r.label:40} {r.family:7} {r.messages:>9} {r.size / 1e6:>7.1f} {fmt(r.best, '.3f'):>7} "
              f"{fmt(r.mbps, '.1f'):>7} {rss:>8} {items:>9}  {verdict}")
    print()
    if any(not r.rss_exact for r in rows if r.ok_runs):
        print(f"* raw wait4 ru_maxrss: includes the {floor / 1024:.1f} MiB fork floor (upper bound)")
    measured = [r for r in rows if not r.reference]
    if misses:
        print(f"VERDICT: MISS ({missed_rows} of {len(measured)} rows) against >= {TARGET_MBPS:.0f} MB/s and "
              f"<= {TARGET_RSS_MIB:.0f} MiB: " + "; ".join(misses))
    else:
        worst_mbps = min((r.mbps for r in measured if r.mbps), default=0.0)
        worst_rss = max((r.rss_mib for r in measured if r.rss_mib), default=0.0)
        print(f"VERDICT: PASS: slowest {worst_mbps:.0f} MB/s >= {TARGET_MBPS:.0f}, "
              f"largest peak RSS {worst_rss:.1f} MiB <= {TARGET_RSS_MIB:.0f}")
    sys.stdout.flush()
    return 1 if (args.check and misses) else 0


if __name__ == "__main__":
    sys.exit(main())
