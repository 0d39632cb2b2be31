#!/usr/bin/env python3
"""`chatvault connector add|ls|show|run|pause|resume|rm` end to end, with the real binary on
throwaway archives.

A drop-folder connector gets the bundled demo export (zipped here from examples/demo-export), a
generated export and a file that is no export: the demo's items must land in the same mailboxes
as `chatvault import` with the same options gives in a second archive, the bad file in failed/
with a reason, and a second run must find nothing new. An http-pull connector reads a JSON index
from a Python http.server on 127.0.0.1 that checks basic auth; its password is read from stdin
and must never appear in argv, output, the audit trail or any archive file. A cloud-api
connector keeps its secrets as set/unset. Bad options fail with the field named; pause, resume
and rm do what they say; SIGTERM while a run waits for a file to settle ends it cleanly.

Usage:
    test_connector_cli.py [--chatvault BUILD/chatvault] [--examples DIR] [--keep]

Exit 0 when every check holds, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "archive"))
from cvarchive import Chat, Msg, Vault, common_args, minutes, run_in_temp  # noqa: E402

PASSWORD = "pw-e2e-3c41f0-do-not-leak"
APP_SECRET = "app-e2e-9a7b21-do-not-leak"
VERIFY = "verify-e2e-55d0aa-do-not-leak"
OWNER = "+4915112345678=helena@bank.example"


def zip_folder(src: str, dest: str) -> None:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(os.listdir(src)):
            z.write(os.path.join(src, name), name)


def age(path: str, seconds: int = 300) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def with_stdin(v: Vault, stdin: str, *args: str):
    argv = [v.exe, *args, "--archive", v.archive]
    return subprocess.run(argv, input=stdin.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=v.env,
                          timeout=120)


class Files(http.server.BaseHTTPRequestHandler):
    root = ""
    auth = ""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != self.auth:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = os.path.join(self.root, self.path.lstrip("/"))
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def body(tmp: str, f, exe: str, examples: str) -> None:
    v = Vault(exe, os.path.join(tmp, "archive"))
    v.init()
    drop = os.path.join(tmp, "drop")
    os.makedirs(drop)
    demo_zip = os.path.join(drop, "demo-export.zip")
    zip_folder(os.path.join(examples, "demo-export"), demo_zip)
    mapping = os.path.join(examples, "demo-mapping.csv")
    chat = Chat("Helena Brandt", [Msg(t, a, f"note {i}") for i, (t, a) in enumerate(
        zip(minutes(dt.datetime(2026, 3, 2, 9, 0), 5), ["Helena Brandt", "+44 7700 900461"] * 3))])
    generated = chat.write(drop, "zip")
    with open(os.path.join(drop, "notes.pdf"), "wb") as out:
        out.write(b"%PDF-1.4 not an export\n")
    with open(os.path.join(drop, "incoming.zip.part"), "wb") as out:
        out.write(b"half")
    for p in (demo_zip, generated, os.path.join(drop, "notes.pdf")):
        age(p)

    # ---- add (bad options name the field)
    r = v.run("connector", "add", "x", "--kind", "drop-folder", "--folder", drop, "--schedule", "cron: 0 24 * * *")
    f.check(r.rc == 64 and "cron field 2 (hour)" in r.err, "a bad cron hour is refused, naming the field", r.describe())
    bad_csv = os.path.join(tmp, "bad.csv")
    with open(bad_csv, "w") as out:
        out.write("phone,email\n+44 7700 900461,ok@bank.example\n+44 7700 900462,not-an-email\n")
    r = v.run("connector", "add", "x", "--kind", "drop-folder", "--folder", drop, "--mapping", bad_csv)
    f.check(r.rc == 64 and "mapping_csv line 3" in r.err, "a bad mapping row is refused with its line", r.describe())
    r = v.run("connector", "add", "x", "--kind", "drop-folder", "--folder", drop, "--tz", "Mars/Olympus")
    f.check(r.rc == 64 and "time_zone" in r.err, "an unknown time zone is refused", r.describe())
    r = v.run("connector", "add", "Bad_Name", "--kind", "drop-folder", "--folder", drop)
    f.check(r.rc == 64 and "name:" in r.err, "a bad name is refused", r.describe())

    added = v.must("connector", "add", "phones", "--kind", "drop-folder", "--folder", drop, "--settle", "0",
                   "--tz", "Europe/Berlin", "--mapping", mapping, "--default-region", "DE", "--owner", OWNER,
                   "--schedule", "cron: 0 2 * * *", "--json").json()
    f.equal((added["kind"], added["schedule"], added["time_zone"], added["status"]),
            ("drop-folder", "cron: 0 2 * * *", "Europe/Berlin", "active"), "add stores the settings")
    f.check(added["next_run"] is not None and added["next_run"].endswith("T01:00:00Z"),
            "next run: 02:00 Berlin (01:00 UTC in winter)", str(added["next_run"]))

    # ---- run: the demo and the generated export in, the PDF in failed/ with its reason
    r = v.run("connector", "run", "phones", "--json")
    run = r.json() if r.out.strip().startswith("{") else {}
    f.equal(r.rc, 1, "a run with a failed file exits 1")
    f.equal((run.get("state"), run.get("files"), run.get("failed")), ("failed", 3, 1), "three files, one failed")
    f.check(os.path.exists(os.path.join(drop, "done", "demo-export.zip")), "the demo export is in done/")
    f.check(os.path.exists(os.path.join(drop, "done", os.path.basename(generated))), "the generated export is in done/")
    reason = os.path.join(drop, "failed", "notes.pdf.reason.txt")
    f.check(os.path.exists(os.path.join(drop, "failed", "notes.pdf")) and os.path.exists(reason),
            "the PDF is in failed/ with a reason file")
    f.check(os.path.exists(os.path.join(drop, "incoming.zip.part")), "a partial download is left alone")

    # The same files through `chatvault import` with the same options: the same mailboxes.
    ref = Vault(exe, os.path.join(tmp, "reference"))
    ref.init()
    ref.must("import", os.path.join(drop, "done", "demo-export.zip"), os.path.join(drop, "done", os.path.basename(generated)),
             "--tz", "Europe/Berlin", "--mapping", mapping, "--default-region", "DE", "--owner", OWNER, "--json")
    f.equal(v.mailboxes(), ref.mailboxes(), "items land in the mailboxes `chatvault import` gives")
    f.check(run.get("imported", 0) > 0, "items were imported", str(run))

    r = v.run("connector", "run", "phones", "--json")
    f.equal((r.rc, r.json().get("state"), r.json().get("files"), r.json().get("imported")), (0, "succeeded", 0, 0),
            "a second run finds nothing new")

    ls = v.must("connector", "ls", "--json").json()
    f.equal([(c["name"], c["status"], c["last_run"]["state"], c["last_run"]["number"]) for c in ls],
            [("phones", "active", "succeeded", 2)], "ls shows the last run")
    text = v.must("connector", "ls").out
    f.check("phones" in text and "drop-folder" in text and "succeeded" in text, "ls as a table", text)
    show = v.must("connector", "show", "phones", "--json").json()
    f.equal([r["state"] for r in show["runs"]], ["succeeded", "failed"], "show lists the runs, newest first")
    f.check(any("notes.pdf" in e for e in show["runs"][1]["errors"]), "the failed run names the file")

    # ---- http-pull: basic auth, the password from stdin
    www = os.path.join(tmp, "www")
    os.makedirs(www)
    chat2 = Chat("Jonas Weber", [Msg(t, a, f"pulled {i}") for i, (t, a) in enumerate(
        zip(minutes(dt.datetime(2026, 4, 7, 15, 0), 4), ["Jonas Weber", "Helena Brandt"] * 2))])
    pulled = chat2.write(www, "zip")
    Files.root = www
    Files.auth = "Basic " + base64.b64encode(f"archiver:{PASSWORD}".encode()).decode()
    with open(os.path.join(www, "index.json"), "w") as out:
        json.dump({"files": [{"name": os.path.basename(pulled), "url": "export.zip", "modified": 1775574000,
                              "size": os.path.getsize(pulled)}]}, out)
    os.rename(pulled, os.path.join(www, "export.zip"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.json"
        p = with_stdin(v, PASSWORD + "\n", "connector", "add", "pull", "--kind", "http-pull", "--url", url,
                       "--auth", "basic", "--username", "archiver", "--owner", "+4915199999999=helena@bank.example",
                       "--schedule", "manual")
        f.equal(p.returncode, 0, "http-pull add with the password on stdin")
        show = v.must("connector", "show", "pull", "--json").json()
        f.equal((show["secrets"], show["next_run"]), ({"password": "set"}, None), "show says the password is set")
        r = v.run("connector", "run", "pull", "--json")
        f.equal((r.rc, r.json().get("state"), r.json().get("files"), r.json().get("checkpoint")),
                (0, "succeeded", 1, 1775574000), "http-pull fetches the index's file and advances the checkpoint")
        r = v.run("connector", "run", "pull", "--json")
        f.equal((r.json().get("files"), r.json().get("imported")), (0, 0), "nothing new past the checkpoint")
    finally:
        server.shutdown()

    # ---- cloud-api: secrets as field=value lines on stdin
    p = with_stdin(v, f"app_secret={APP_SECRET}\nverify_token={VERIFY}\n", "connector", "add", "business",
                   "--kind", "cloud-api", "--phone-number-id", "106540352242922")
    f.check(p.returncode == 0, "cloud-api add", p.stderr.decode())
    show = v.must("connector", "show", "business", "--json").json()
    f.equal(show["secrets"], {"access_token": "unset", "app_secret": "set", "verify_token": "set"},
            "cloud-api secrets as set/unset")
    p = with_stdin(v, "", "connector", "add", "business2", "--kind", "cloud-api", "--phone-number-id", "1")
    f.check(p.returncode == 64 and b"app_secret" in p.stderr, "a missing required secret is refused",
            p.stderr.decode())

    # ---- pause, resume, rm
    v.must("connector", "pause", "phones")
    ls = {c["name"]: c for c in v.must("connector", "ls", "--json").json()}
    f.equal((ls["phones"]["status"], ls["phones"]["next_run"]), ("paused", None), "paused: no next run")
    v.must("connector", "resume", "phones")
    ls = {c["name"]: c for c in v.must("connector", "ls", "--json").json()}
    f.equal(ls["phones"]["status"], "active", "resumed")
    v.must("connector", "rm", "business")
    f.equal(sorted(c["name"] for c in v.must("connector", "ls", "--json").json()), ["phones", "pull"], "rm removes it")
    f.equal(v.run("connector", "show", "business").rc, 66, "show of a removed connector: not found")

    # ---- SIGTERM while a run waits for a file to settle: a clean, cancelled end
    v.must("connector", "add", "slow", "--kind", "drop-folder", "--folder", os.path.join(tmp, "slow"), "--settle", "30")
    os.makedirs(os.path.join(tmp, "slow"))
    chat.write(os.path.join(tmp, "slow"), "zip")  # fresh: must settle for 30 s
    proc = subprocess.Popen([v.exe, "connector", "run", "slow", "--json", "--archive", v.archive],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=v.env)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    f.equal((proc.returncode, json.loads(out or b"{}").get("state")), (75, "cancelled"), "SIGTERM ends the run cleanly")
    f.equal(os.listdir(os.path.join(tmp, "slow")), [os.path.basename(generated)], "the unsettled file is left alone")

    # ---- the audit trail has every change; no secret is anywhere
    audit = v.must("audit", "--json").json()
    actions = [e["action"] for e in audit]
    for a in ("connector.add", "connector.run", "connector.pause", "connector.resume", "connector.remove",
              "connector.checkpoint"):
        f.check(a in actions, f"audit has {a}")
    blob = json.dumps(audit)
    for s in (PASSWORD, APP_SECRET, VERIFY):
        f.check(s not in blob, "no secret in the audit trail")
    leaks = []
    for root, _, files in os.walk(v.archive):
        for name in files:
            data = open(os.path.join(root, name), "rb").read()
            for s in (PASSWORD, APP_SECRET, VERIFY):
                if s.encode() in data:
                    leaks.append(name)
    f.equal(leaks, [], "no secret in any archive file (they are sealed)")
    f.check(v.verify().rc == 0, "verify passes")


def main() -> int:
    ap, repo = common_args(__doc__)
    ap.add_argument("--examples", default=os.path.join(repo, "examples"))
    args = ap.parse_args()
    return run_in_temp(args, "cv-connector-", lambda tmp, f: body(tmp, f, args.chatvault, args.examples),
                       errors=(AssertionError, subprocess.TimeoutExpired, json.JSONDecodeError, KeyError))


if __name__ == "__main__":
    sys.exit(main())
