#!/usr/bin/env python3
"""A drop-folder connector run by a real `chatvault serve` on 127.0.0.1, through the REST API
as the console would drive it: add the connector with a mapping CSV, drop an export (a zip of
examples/demo-export) and a file that is no export, "run now", watch the run's progress until
it is done, then find the items in the mapped mailboxes, the export in done/, the other file in
failed/ with its reason, the run in the history and the counters in /metrics. A second run finds
nothing new. SIGTERM ends the service cleanly.

Usage: test_service_connectors.py --chatvault BUILD/chatvault [--keep]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import zipfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from service import Checks, EXAMPLES, Service, test_args, wait_for  # noqa: E402

PASSWORD = "another long passphrase"


def main() -> int:
    args = test_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="cv-connectors-")
    drop = os.path.join(work, "drop")
    os.makedirs(drop)
    svc = Service(args.chatvault, work, {"importer": (["mailbox-import-export"], PASSWORD),
                                         "ops": (["organization-management"], PASSWORD)})
    svc.start()
    try:
        imp = svc.client()
        c.check(imp.login("importer", PASSWORD).status == 200, "the importer signs in")
        with open(os.path.join(EXAMPLES, "demo-mapping.csv"), encoding="utf-8") as f:
            mapping_csv = f.read()
        bad = dict(name="desk", kind="drop-folder", folder=drop, mapping_csv="phone,email\n+49 1,x\n")
        r = imp.request("POST", "/api/v1/connectors", bad)
        c.check(r.status == 400 and "mapping_csv" in r.json()["error"]["message"],
                f"a bad mapping CSV is refused naming the field and line: {r}")
        connector = dict(name="desk", kind="drop-folder", folder=drop, settle_seconds=2, time_zone="Europe/Berlin",
                         mapping_csv=mapping_csv, default_region="DE",
                         owners=["+49 151 12345678=helena.brandt@bank.example"], schedule="manual")
        r = imp.request("POST", "/api/v1/connectors", connector)
        c.check(r.status == 201, f"the connector is added: {r}")

        # The export, zipped the way a phone shares it; and a file that is no export.
        export = os.path.join(work, "WhatsApp Chat with FX Desk.zip")
        with zipfile.ZipFile(export, "w") as z:
            src = os.path.join(EXAMPLES, "demo-export")
            for name in sorted(os.listdir(src)):
                z.write(os.path.join(src, name), name)
        shutil.copy(export, drop)
        with open(os.path.join(drop, "notes.zip"), "wb") as f:
            f.write(b"PK\x03\x04 this is not a zip")
        with open(os.path.join(drop, "upload.part"), "wb") as f:
            f.write(b"still arriving")
        # No wait for the files to settle: the run waits for them, and its progress is watched.
        r = imp.request("POST", "/api/v1/connectors/desk/run")
        c.check(r.status == 202, f"run now is accepted: {r}")
        states = set()

        def finished():
            j = imp.request("GET", "/api/v1/connectors/desk").json()
            states.add(j["status"])
            done = os.path.exists(os.path.join(drop, "done", os.path.basename(export)))
            return j if done and j["status"] not in ("running", "queued", "settling") else None

        # The first run finds the files still settling and comes back for them by itself.
        shown = wait_for(finished, 120, 0.05, "the export to be imported")
        importing = [r for r in shown["runs"] if r["progress"]["imported"] > 0]
        c.check(len(importing) == 1, f"one run imported the export: {shown['runs']}")
        progress = importing[0]["progress"] if importing else {"imported": -1}
        c.check(progress["imported"] == 18, f"the run imported the export's 18 items: {progress}")
        c.check(progress.get("files") == 2 and progress.get("failed") == 1, f"two files taken, one failed: {progress}")
        c.check(bool(states & {"queued", "running", "settling"}), f"the run was seen queued, running or settling: {states}")
        failed = os.path.join(drop, "failed")
        c.check(os.path.exists(os.path.join(failed, "notes.zip")) and
                any(n.startswith("notes.zip") and n.endswith(".reason.txt") for n in os.listdir(failed)),
                f"the broken file moved to failed/ with a reason: {os.listdir(failed) if os.path.isdir(failed) else None}")
        c.check(os.path.exists(os.path.join(drop, "upload.part")), "a partial upload is left alone")

        ops = svc.client()
        c.check(ops.login("ops", PASSWORD).status == 200, "the administrator signs in")
        boxes = {m["address"]: m["items"] for m in ops.request("GET", "/api/v1/mailboxes").json()["mailboxes"]}
        # The group chat's member known by number is mapped by the CSV and gets every item (a
        # recipient of each); the others are names only, and the owner's name is not configured.
        c.check(boxes.get("m.okafor@bank.example", 0) == 18,
                f"the export's 18 items are filed in the mapped member's mailbox: {boxes}, {progress}")
        metrics = imp.request("GET", "/metrics")
        c.check(metrics.status == 200 and f'chatvault_items_imported_total{{connector="desk"}} {progress["imported"]}'
                in metrics.body.decode(), f"/metrics counts the run's items: {metrics.body[:400]!r}")
        c.check('chatvault_last_success_timestamp_seconds{connector="desk"}' in metrics.body.decode(),
                "/metrics has the last success per connector")

        before = len(imp.request("GET", "/api/v1/connectors/desk/runs").json()["runs"])
        r = imp.request("POST", "/api/v1/connectors/desk/run")
        wait_for(lambda: len(imp.request("GET", "/api/v1/connectors/desk/runs").json()["runs"]) > before and finished(),
                 120, 0.1, "the second run")
        runs = imp.request("GET", "/api/v1/connectors/desk/runs").json()["runs"]
        c.check(runs[0]["progress"]["imported"] == 0 and runs[0]["progress"]["state"] == "succeeded",
                f"a later run finds nothing new, and every run is in the history: {runs}")
        audit = ops.request("GET", "/api/v1/audit?action=connector.").json()["events"]
        actions = [(e["actor"], e["action"]) for e in audit]
        c.check(("importer", "connector.add") in actions, f"adding the connector is audited with its actor: {actions}")
    finally:
        rc = svc.stop()
        c.check(rc == 0, f"SIGTERM stops the service cleanly (exit {rc})")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept", work)
    return c.done("test_service_connectors")


if __name__ == "__main__":
    sys.exit(main())
