#!/usr/bin/env python3
"""Whole-process delivery benchmark: `chatvault deliver` appending a generated export's items
into a mailbox on a local Dovecot over IMAP (STARTTLS, a master user), as a person would run
it after `import --no-deliver`. See bench/README.md.

    delivery_throughput.py [--chatvault build/chatvault] [--messages 20000] [--runs 3]
                           [--server-dir /dev/shm] [--fsync] [--keep DIR] [--cpus LIST]

Setup (not timed): bench/gen_export.py writes an Android group export of --messages messages
(~80 bytes a message of text, 5% multi-line, unicode); `chatvault import --no-deliver` files
every item to one mailbox (--owner/--owner-name); the archive is copied aside untouched.
Each run (timed): a fresh copy of that archive, a fresh throwaway Dovecot
(tests/imap/dovecot.py, on 127.0.0.1), `chatvault delivery set` (imap:// with STARTTLS
verified against the server's CA, login "{mailbox}*admin", AUTH=PLAIN), then
`chatvault deliver --json` under GNU time. The run must report every item delivered and the
server's folder must hold that many messages.

Reports the best run: messages/s (items / wall seconds), MB/s (the bytes appended: the sum
of the items' rendered sizes / 10^6 / wall seconds), and the peak RSS of chatvault (GNU
time's %M, the largest over the runs). The wall time covers the whole process: start-up,
TLS, login, folder creation, every APPEND and its recorded outcome in the archive.

Dovecot's mail files live under --server-dir (default /dev/shm, a tmpfs) and, unless
--fsync, with `mail_fsync = never`: with Dovecot's default the server fsyncs every message,
~10 ms each on this machine's disk, and the row would measure the disk, not chatvault.
chatvault and Dovecot share the machine's cores (--cpus pins chatvault only).

Exit 0 whatever the numbers; 2 when the harness cannot run (no binary, no Dovecot, a run
that does not deliver everything).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "imap"))
sys.dont_write_bytecode = True
from benchlib import run_measured  # noqa: E402
import dovecot  # noqa: E402

MAILBOX = "owner@bench.example"
OWNER = f"+4915112345678={MAILBOX}"
OWNER_NAME = "Anna Schmidt"  # the first author gen_export.py writes
FOLDER = "WhatsApp Archiver"


def build_archive(chatvault: str, keep: Path, messages: int) -> tuple[Path, int, int]:
    """An archive holding the generated export's items, none delivered; reused from --keep.
    Returns (archive, items, rendered bytes)."""
    archive = keep / f"delivery-archive-{messages}"
    done = archive.with_suffix(".json")
    if done.exists() and archive.is_dir():
        facts = json.loads(done.read_text())
        return archive, facts["items"], facts["bytes"]
    shutil.rmtree(archive, ignore_errors=True)
    export = keep / f"delivery-android-{messages}.txt"
    if not export.exists():
        subprocess.run([sys.executable, str(HERE / "gen_export.py"), "--family", "android", "--messages",
                        str(messages), "-q", str(export)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATVAULT_")}
    subprocess.run([chatvault, "init", "--archive", str(archive)], check=True, capture_output=True, env=env)
    subprocess.run([chatvault, "import", str(export), "--archive", str(archive), "--tz", "Europe/Berlin",
                    "--owner", OWNER, "--owner-name", OWNER_NAME, "--no-deliver"],
                   check=True, capture_output=True, env=env)
    ls = subprocess.run([chatvault, "ls", MAILBOX, "--archive", str(archive), "--json", "--limit", "100000000"],
                        check=True, capture_output=True, env=env)
    listed = json.loads(ls.stdout)
    facts = {"items": len(listed), "bytes": sum(i["size"] for i in listed)}
    done.write_text(json.dumps(facts))
    return archive, facts["items"], facts["bytes"]


def deliver_once(chatvault: str, base: Path, work: Path, items: int, server_dir: str | None, fsync: bool,
                 cpus: str | None) -> tuple[float, int]:
    """One timed `chatvault deliver` into a fresh server from a fresh copy of the archive:
    (wall seconds, peak RSS KiB)."""
    archive = work / "archive"
    shutil.rmtree(archive, ignore_errors=True)
    shutil.copytree(base, archive)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATVAULT_")}
    extra = "" if fsync else "mail_fsync = never\n"
    with dovecot.Dovecot({MAILBOX: "owner-pw"}, master_password="bench-master-pw", extra_conf=extra,
                         parent_dir=server_dir, lifetime=3600) as d:
        secret = work / "master.secret"
        secret.write_text(d.master_password + "\n")
        subprocess.run([chatvault, "delivery", "set", "--archive", str(archive), "--url",
                        f"imap://127.0.0.1:{d.port}", "--login", "{mailbox}*admin", "--ca-file", d.ca_path,
                        "--secret-file", str(secret)], check=True, capture_output=True, env=env)
        wall, rss, stdout = run_measured([chatvault, "deliver", "--archive", str(archive), "--json"], cpus)
        report = json.loads(stdout)
        if (report["delivered"], report["pending"], report["failed"]) != (items, 0, 0):
            raise RuntimeError(f"deliver did not deliver all {items} items: {report}")
        c = d.imap(MAILBOX)
        try:
            on_server = int(dovecot.check(c.status(dovecot.quote(FOLDER), "(MESSAGES)"), "STATUS")[0]
                            .split(b"MESSAGES ")[1].rstrip(b")"))
        finally:
            c.logout()
        if on_server != items:
            raise RuntimeError(f"the server holds {on_server} messages, not {items}")
    return wall, rss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chatvault", default="build/chatvault")
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--server-dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                    help="where the throwaway Dovecot keeps its mail ('' for the temp folder)")
    ap.add_argument("--fsync", action="store_true", help="Dovecot's default fsync per message")
    ap.add_argument("--keep", help="folder for the generated export and archive (reused between runs)")
    ap.add_argument("--cpus", default="", help="taskset CPU list for chatvault ('' for none)")
    a = ap.parse_args()

    chatvault = os.path.abspath(a.chatvault)
    if not os.access(chatvault, os.X_OK) or not os.path.exists("/usr/bin/time") or not dovecot.available():
        print("delivery_throughput: needs a built chatvault, GNU time (/usr/bin/time), dovecot-imapd and "
              "openssl", file=sys.stderr)
        return 2
    keep_ctx = tempfile.TemporaryDirectory(prefix="cv-deliver-bench-") if not a.keep else None
    keep = Path(a.keep or keep_ctx.name)
    keep.mkdir(parents=True, exist_ok=True)
    try:
        base, items, size = build_archive(chatvault, keep, a.messages)
        with tempfile.TemporaryDirectory(prefix="cv-deliver-run-") as work:
            runs = []
            for i in range(a.runs):
                wall, rss = deliver_once(chatvault, base, Path(work), items, a.server_dir or None, a.fsync,
                                         a.cpus or None)
                runs.append((wall, rss))
                print(f"run {i + 1}: {wall:.2f} s, {items / wall:.0f} messages/s, peak RSS {rss / 1024:.1f} MiB",
                      file=sys.stderr)
    except (RuntimeError, subprocess.CalledProcessError, OSError, dovecot.DovecotError) as e:
        print(f"delivery_throughput: {e}", file=sys.stderr)
        return 2
    finally:
        if keep_ctx:
            keep_ctx.cleanup()
    best = min(w for w, _ in runs)
    rss = max(r for _, r in runs)
    server = f"{a.server_dir or tempfile.gettempdir()}, {'fsync' if a.fsync else 'mail_fsync=never'}"
    print(f"{'what':<34} {'messages':>9} {'MB':>7} {'best s':>7} {'msgs/s':>8} {'MB/s':>6} {'RSS MiB':>8}  server")
    print(f"{'chatvault deliver (STARTTLS)':<34} {items:>9} {size / 1e6:>7.1f} {best:>7.2f} {items / best:>8.0f} "
          f"{size / 1e6 / best:>6.2f} {rss / 1024:>8.1f}  {server}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
