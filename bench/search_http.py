#!/usr/bin/env python3
"""Content-search latency as a user of the service meets it: p50 and p95 of
`GET /api/v1/search?q=QUERY&limit=20` against `chatvault serve` on the 1M-item archive that
bench/search_latency.py builds, over one kept-alive HTTP connection with an API token (the
service answers in process: no start-up, the archive opened once). See bench/README.md.

    search_http.py [--chatvault build/chatvault] [--archive /work/search-data/search-1000000-100/archive]
                   [--work DIR] [--runs 30] [--cpus 0]

The archive is copied into --work first (the service writes to it: a user, a token, an audit
record per search), never changed in place; the copy is reused when it is there. The queries are
search_latency.py's. Each row: one warm-up request (and the hit count), then --runs timed
requests (wall time from sending the request to the last byte of the reply).
Exit 0 whatever the numbers; 2 when the harness cannot run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from search_latency import QUERIES, percentile  # noqa: E402

USER = "bench.searcher"
PASSWORD = "correct horse battery staple"


def prepare(chatvault: str, source: Path, work: Path) -> tuple[Path, str]:
    """The archive copy and a fresh API token (scope search) for a user allowed to search."""
    archive = work / "archive"
    if not (work / ".copied").exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copytree(source, archive)
        (work / ".copied").touch()
    env = dict(os.environ, CHATVAULT_ACTOR="bench")
    users = subprocess.run([chatvault, "user", "ls", "--json", "--archive", str(archive)], capture_output=True,
                           text=True, env=env)
    if USER not in users.stdout:
        subprocess.run([chatvault, "user", "add", USER, "--role", "ediscovery-manager", "--password-stdin",
                        "--archive", str(archive)], input=PASSWORD + "\n", check=True, capture_output=True, text=True,
                       env=env)
    r = subprocess.run([chatvault, "token", "add", "--user", USER, "--scope", "search", "--expires", "30d", "--json",
                        "--archive", str(archive)], check=True, capture_output=True, text=True, env=env)
    return archive, json.loads(r.stdout)["token"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chatvault", default="build/chatvault")
    ap.add_argument("--archive", default="/work/search-data/search-1000000-100/archive")
    ap.add_argument("--work", default="/tmp/cv-search-http")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--cpus", default="0", help="taskset CPU list for the service ('' for none)")
    a = ap.parse_args()
    chatvault = os.path.abspath(a.chatvault)
    proc = None
    try:
        archive, token = prepare(chatvault, Path(a.archive), Path(a.work))
        log = Path(a.work) / "serve.log"
        argv = [chatvault, "serve", "--archive", str(archive), "--listen", "127.0.0.1:0"]
        if a.cpus and shutil.which("taskset"):
            argv = ["taskset", "-c", a.cpus, *argv]
        with open(log, "wb") as err:
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        port = None
        deadline = time.time() + 120
        while time.time() < deadline and port is None:
            m = re.search(rb"listening on https?://127\.0\.0\.1:(\d+)", log.read_bytes())
            if m:
                port = int(m.group(1))
            elif proc.poll() is not None:
                raise RuntimeError(f"chatvault serve exited {proc.returncode}: {log.read_text()[-2000:]}")
            else:
                time.sleep(0.05)
        if port is None:
            raise RuntimeError("chatvault serve did not start")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}"}

        def get(query: str) -> tuple[float, bytes]:
            path = "/api/v1/search?" + urllib.parse.urlencode({"q": query, "limit": "20"})
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            ms = (time.perf_counter() - start) * 1000
            if resp.status != 200:
                raise RuntimeError(f"GET {path}: {resp.status} {body[:300]!r}")
            return ms, body

        load = os.getloadavg()
        print(f"service on {archive}; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {a.runs} requests per query "
              f"over one kept-alive connection")
        print(f"{'query':<22} {'text':<58} {'hits':>8} {'http p50':>9} {'http p95':>9}")
        for name, query, _selective in QUERIES:
            _, body = get(query)
            j = json.loads(body)
            hits = j.get("total", len(j.get("hits", [])))
            times = [get(query)[0] for _ in range(a.runs)]
            print(f"{name:<22} {query:<58} {hits:>8} {percentile(times, 50):>9.1f} {percentile(times, 95):>9.1f}",
                  flush=True)
        load = os.getloadavg()
        print(f"load at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    except (RuntimeError, subprocess.CalledProcessError, OSError, ValueError) as e:
        print(f"search_http: {e}", file=sys.stderr)
        return 2
    finally:
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
