#!/usr/bin/env python3
"""Quarantine retry through a real `chatvault serve`: the demo export imported with no mapping
lands in quarantine; a mapping CSV with a bad row is refused naming its line (nothing filed);
the demo mapping, which maps a participant of the chat, files its items into that mailbox; an
importer may do it, an eDiscovery manager may not; the retry is audited.

Usage: test_quarantine_retry.py --chatvault BUILD/chatvault [--keep]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from service import Checks, EXAMPLES, Service, test_args  # noqa: E402

PASSWORD = "quarantine test passphrase"
OKAFOR = "m.okafor@bank.example"


def main() -> int:
    args = test_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="cv-quarantine-")
    svc = Service(args.chatvault, work, {"imp": (["mailbox-import-export"], PASSWORD),
                                         "ed": (["ediscovery-manager"], PASSWORD),
                                         "audit": (["auditor"], PASSWORD)})
    # No mapping: no participant has a mailbox, every item waits in quarantine.
    svc.import_demo(mapped=False)
    svc.start()
    try:
        imp, ed, audit = svc.client(), svc.client(), svc.client()
        for cl, name in ((imp, "imp"), (ed, "ed"), (audit, "audit")):
            c.check(cl.login(name, PASSWORD).status == 200, f"{name} signs in")
        held = imp.request("GET", "/api/v1/quarantine").json()["items"]
        c.check(len(held) > 0, f"the unmapped chat is in quarantine: {len(held)}")
        c.check(ed.request("POST", "/api/v1/quarantine/retry", {}).status == 403,
                "an eDiscovery manager cannot refile quarantine")
        r = imp.request("POST", "/api/v1/quarantine/retry",
                        {"mapping_csv": "phone,email\n+44 7700 900461,m.okafor@bank.example\nnot a number,x\n"})
        c.check(r.status == 400 and "mapping_csv line 3" in r.json()["error"]["message"],
                f"a bad CSV row is refused naming its line: {r}")
        r = imp.request("POST", "/api/v1/quarantine/retry", {"default_region": "XX"})
        c.check(r.status == 400 and "default_region" in r.json()["error"]["message"], f"a bad region names the field: {r}")
        c.check(len(imp.request("GET", "/api/v1/quarantine").json()["items"]) == len(held), "nothing was filed")
        r = imp.request("POST", "/api/v1/quarantine/retry", {})
        c.check(r.status == 200 and r.json()["filed"] == 0 and r.json()["still_quarantined"] == len(held),
                f"without a mapping nothing new is known: {r}")
        with open(os.path.join(EXAMPLES, "demo-mapping.csv"), encoding="utf-8") as f:
            csv = f.read()
        r = imp.request("POST", "/api/v1/quarantine/retry", {"mapping_csv": csv, "default_region": "DE"})
        j = r.json() if r.status == 200 else {}
        c.check(r.status == 200 and j["filed"] > 0 and j["filed"] + j["still_quarantined"] == len(held)
                and j["per_mailbox"].get(OKAFOR, 0) > 0, f"the mapped participant's items are filed: {r}")
        left = imp.request("GET", "/api/v1/quarantine").json()["items"]
        c.check(len(left) == j.get("still_quarantined", -1), f"the quarantine list agrees: {len(left)}")
        mailboxes = {m["address"]: m["items"] for m in ed.request("GET", "/api/v1/mailboxes").json()["mailboxes"]}
        c.check(mailboxes.get(OKAFOR, 0) > 0, f"the items are in the mailbox now: {mailboxes}")
        events = audit.request("GET", "/api/v1/audit?action=quarantine.retry").json()["events"]
        c.check(events and events[-1]["actor"] == "imp" and events[-1]["results"] == j.get("filed"),
                f"the retry is audited with its count: {events}")
    finally:
        rc = svc.stop()
        c.check(rc == 0, f"SIGTERM stops the service cleanly (exit {rc})")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return c.done("test_quarantine_retry")


if __name__ == "__main__":
    sys.exit(main())
