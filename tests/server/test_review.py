#!/usr/bin/env python3
"""A Reviewer sees the results of the cases they are added to, and nothing else, through a real
`chatvault serve`: an eDiscovery manager opens a case over one custodian's mailbox, saves a
search (its estimate comes back), adds a reviewer; the reviewer lists their cases, reads the
saved search's results and an item of the case; an item of another mailbox, a case they are not
on and the general item and search routes stay closed to them; what they looked at is in the
audit trail.

Usage: test_review.py --chatvault BUILD/chatvault [--keep]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from service import Checks, Service, test_args  # noqa: E402

PASSWORD = "review test passphrase"
OKAFOR = "m.okafor@bank.example"
BOB = "bob@corp.example"


def main() -> int:
    args = test_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="cv-review-")
    svc = Service(args.chatvault, work, {"ed": (["ediscovery-manager"], PASSWORD),
                                         "rita": (["reviewer"], PASSWORD),
                                         "rolf": (["reviewer"], PASSWORD),
                                         "audit": (["auditor"], PASSWORD)})
    # The demo export: every item lands in m.okafor's mailbox (the member the CSV maps).
    svc.import_demo()
    # Another custodian's chat, outside the case.
    other = os.path.join(work, "WhatsApp Chat with Bob.txt")
    with open(other, "w", encoding="utf-8") as f:
        f.write("24/11/2026, 10:00 - Bob: the confidential merger memo is ready\n")
    svc.cli("import", other, "--archive", svc.archive, "--tz", "UTC", "--owner", f"+49 170 1111111={BOB}")
    svc.start()
    try:
        ed, rita, rolf, audit = (svc.client() for _ in range(4))
        for cl, name in ((ed, "ed"), (rita, "rita"), (rolf, "rolf"), (audit, "audit")):
            c.check(cl.login(name, PASSWORD).status == 200, f"{name} signs in")
        r = ed.request("POST", "/api/v1/cases", {"id": "fx-2026", "name": "FX desk inquiry"})
        c.check(r.status == 201, f"the case is opened: {r}")
        r = ed.request("POST", "/api/v1/cases/fx-2026/custodians", {"name": "Okafor", "mailboxes": [OKAFOR]})
        c.check(r.status == 200, f"a custodian is added: {r}")
        r = ed.request("POST", "/api/v1/cases/fx-2026/searches", {"name": "all", "query": "kind:message"})
        c.check(r.status == 201 and r.json()["estimate"]["items"] > 0 and OKAFOR in r.json()["estimate"]["mailboxes"],
                f"a saved search comes back with its estimate: {r}")
        r = ed.request("POST", "/api/v1/cases/fx-2026/searches", {"name": "bad", "query": "from:("})
        c.check(r.status == 400 and "query" in r.json()["error"]["message"], f"a query that cannot run is refused: {r}")
        r = ed.request("POST", "/api/v1/cases/fx-2026/reviewers", {"user": "rita"})
        c.check(r.status == 200 and r.json()["reviewers"] == ["rita"], f"rita reviews the case: {r}")
        r = ed.request("POST", "/api/v1/cases/fx-2026/reviewers", {"user": "nobody"})
        c.check(r.status == 400, f"an unknown user cannot review: {r}")

        mine = rita.request("GET", "/api/v1/review/cases").json()["cases"]
        c.check([x["id"] for x in mine] == ["fx-2026"], f"rita lists her case: {mine}")
        c.check(rolf.request("GET", "/api/v1/review/cases").json()["cases"] == [], "rolf, on no case, lists none")
        r = rita.request("GET", "/api/v1/review/cases/fx-2026/searches/all")
        hits = r.json().get("hits", []) if r.status == 200 else []
        c.check(r.status == 200 and len(hits) > 0 and all(OKAFOR in h["mailboxes"] for h in hits),
                f"rita reads the saved search's results, all in the custodian's mailbox: {r.status} {len(hits)}")
        r = rolf.request("GET", "/api/v1/review/cases/fx-2026/searches/all")
        c.check(r.status == 404, f"rolf cannot read a case he is not on: {r}")
        if hits:
            r = rita.request("GET", f"/api/v1/review/cases/fx-2026/items/{hits[0]['item']}")
            c.check(r.status == 200 and r.json()["item"] == hits[0]["item"], f"rita opens an item of the case: {r}")
            r = rita.request("GET", f"/api/v1/items/{hits[0]['item']}")
            c.check(r.status == 403, f"the general item route stays closed to a reviewer: {r}")
        found = ed.request("GET", "/api/v1/search?q=merger").json()["hits"]
        c.check(len(found) == 1 and found[0]["mailboxes"] == [BOB], f"the other chat is in Bob's mailbox only: {found}")
        if found:
            r = rita.request("GET", f"/api/v1/review/cases/fx-2026/items/{found[0]['item']}")
            c.check(r.status == 404, f"an item outside the case's mailboxes is not shown to its reviewer: {r}")
        c.check(rita.request("GET", "/api/v1/search?q=merger").status == 403, "a reviewer cannot search the archive")
        r = ed.request("DELETE", "/api/v1/cases/fx-2026/reviewers/rita")
        c.check(r.status == 204, f"rita is removed from the case: {r}")
        r = rita.request("GET", "/api/v1/review/cases/fx-2026/searches/all")
        c.check(r.status == 404, f"after that the case is closed to her: {r}")

        events = audit.request("GET", "/api/v1/audit?actor=rita").json()["events"]
        actions = {e["action"] for e in events}
        c.check({"review.search", "review.item"} <= actions, f"what rita looked at is audited: {sorted(actions)}")
        events = audit.request("GET", "/api/v1/audit?action=case.").json()["events"]
        c.check({("ed", "case.reviewer.add"), ("ed", "case.reviewer.remove"), ("ed", "case.search.save")}
                <= {(e["actor"], e["action"]) for e in events}, "case changes are audited with their actor")
    finally:
        rc = svc.stop()
        c.check(rc == 0, f"SIGTERM stops the service cleanly (exit {rc})")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return c.done("test_review")


if __name__ == "__main__":
    sys.exit(main())
