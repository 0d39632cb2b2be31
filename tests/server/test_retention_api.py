#!/usr/bin/env python3
"""Retention through a real `chatvault serve`: policies added, refused with the field named,
a locked one only made stricter (409 otherwise, and never removed); the dry run lists what is
due; a reviewed apply disposes of the approved placement only, records the rejected one (shown
as rejected in the next review, and left by a later apply), and re-decides at apply time (an
approved placement held since is not disposed of); all of it audited.

Usage: test_retention_api.py --chatvault BUILD/chatvault [--keep]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from service import Checks, Service, test_args  # noqa: E402

PASSWORD = "retention test passphrase"
OKAFOR = "m.okafor@bank.example"


def main() -> int:
    args = test_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="cv-retention-")
    svc = Service(args.chatvault, work, {"comp": (["compliance-administrator"], PASSWORD),
                                         "ed": (["ediscovery-manager"], PASSWORD),
                                         "audit": (["auditor"], PASSWORD)})
    svc.import_demo()
    svc.start()
    try:
        comp, ed, audit = svc.client(), svc.client(), svc.client()
        for cl, name in ((comp, "comp"), (ed, "ed"), (audit, "audit")):
            c.check(cl.login(name, PASSWORD).status == 200, f"{name} signs in")

        # --- policies ---------------------------------------------------------------------------------
        short = {"id": "short", "action": "delete", "period": "30 days", "basis": "sent",
                 "scope": {"kinds": ["message"]}}
        r = comp.request("POST", "/api/v1/retention/policies", short)
        c.check(r.status == 201 and r.json()["id"] == "short" and r.json()["action"] == "delete"
                and r.json()["scope"]["kinds"] == ["message"], f"a policy is added: {r}")
        r = comp.request("POST", "/api/v1/retention/policies", short)
        c.check(r.status == 400 and "id" in r.json()["error"]["message"], f"its id cannot be reused: {r}")
        for bad, field in (({"id": "p", "action": "shred"}, "action"),
                           ({"id": "p", "action": "delete", "period": "soon"}, "period"),
                           ({"id": "p", "action": "delete", "period": "1 day", "basis": "x"}, "basis"),
                           ({"id": "p", "action": "delete", "period": "1 day", "scope": {"kinds": ["fax"]}},
                            "scope.kinds")):
            r = comp.request("POST", "/api/v1/retention/policies", bad)
            c.check(r.status == 400 and field in r.json()["error"]["message"], f"a bad {field} is named: {r}")
        r = comp.request("POST", "/api/v1/retention/policies",
                         {"id": "keep", "action": "retain", "period": "1 day", "lock": True,
                          "scope": {"kinds": ["call"]}})
        c.check(r.status == 201 and r.json()["locked"] is True, f"a locked policy: {r}")
        r = comp.request("PUT", "/api/v1/retention/policies/keep", {"period": "1 year"})
        c.check(r.status == 200 and r.json()["period"]["count"] == 1, f"a locked policy made stricter: {r}")
        r = comp.request("PUT", "/api/v1/retention/policies/keep", {"period": "1 day"})
        c.check(r.status == 409 and r.json()["error"]["message"], f"…but not weaker (409 with the reason): {r}")
        # What the console's form of a locked policy never sends: the server refuses each, says why,
        # and keeps the policy as it was.
        for weaker, why in (({"period": "6 months"}, "retention period"),
                            ({"action": "retain-then-delete"}, "retains less"),
                            ({"basis": "imported"}, "date"),
                            ({"scope": {"kinds": ["message"]}}, "kind call"),
                            ({"scope": {"mailboxes": ["x@corp.example"]}}, "every mailbox")):
            r = comp.request("PUT", "/api/v1/retention/policies/keep", weaker)
            c.check(r.status == 409 and why in r.json()["error"]["message"],
                    f"a locked policy is not weakened by {weaker} (409, '{why}'): {r}")
        kept = [p for p in comp.request("GET", "/api/v1/retention/policies").json()["policies"] if p["id"] == "keep"]
        c.check(kept and kept[0]["action"] == "retain" and kept[0]["period"] == {"count": 1, "unit": "years"}
                and kept[0]["basis"] == "sent" and kept[0]["scope"]["kinds"] == ["call"]
                and kept[0]["scope"]["mailboxes"] == [] and kept[0]["locked"] is True,
                f"…and keeps it as it was: {kept}")
        c.check(comp.request("DELETE", "/api/v1/retention/policies/keep").status == 409, "…nor removed")
        c.check(comp.request("PUT", "/api/v1/retention/policies/none", {}).status == 404, "no such policy → 404")
        r = comp.request("POST", "/api/v1/retention/policies", {"id": "gone", "action": "retain", "period": "1 day"})
        c.check(r.status == 201 and comp.request("DELETE", "/api/v1/retention/policies/gone").status == 204,
                "an unlocked policy is removed")
        ids = [p["id"] for p in comp.request("GET", "/api/v1/retention/policies").json()["policies"]]
        c.check(sorted(ids) == ["keep", "short"], f"the policies listed: {ids}")
        c.check(ed.request("GET", "/api/v1/retention/review").status == 403, "an eDiscovery manager cannot review")

        # --- review and apply --------------------------------------------------------------------------
        r = comp.request("GET", "/api/v1/retention/review")
        due = r.json()["dispose"] if r.status == 200 else []
        c.check(r.status == 200 and len(due) >= 3 and all(d["policy"] == "short" and d["rejected"] is None
                                                          and d["reasons"] for d in due),
                f"the dry run lists the messages past 30 days: {r}")
        if len(due) >= 3:
            a, b, h = due[0], due[1], due[2]
            # h is held from now on: approved, it must still stay.
            r = comp.request("POST", "/api/v1/holds", {"mailbox": h["mailbox"], "reason": "a new claim", "id": "claim"})
            c.check(r.status == 201, f"a hold on the mailbox: {r}")
            r = comp.request("POST", "/api/v1/retention/apply",
                             {"approve": [{"item": a["item"], "mailbox": a["mailbox"]},
                                          {"item": h["item"], "mailbox": h["mailbox"]}],
                              "reject": [{"item": b["item"], "mailbox": b["mailbox"], "reason": "still needed"}]})
            j = r.json() if r.status == 200 else {}
            c.check(r.status == 200 and j["disposed"] == [] and j["rejected"] == 1
                    and {"item": a["item"], "mailbox": a["mailbox"]} in j["not_disposed"],
                    f"decided again at apply time: the hold protects everything now: {r}")
            c.check(comp.request("POST", "/api/v1/holds/claim/release", {"reason": "settled"}).status == 200,
                    "the hold is released")
            time.sleep(1.2)  # a hold still protects during the second it is released in
            r = comp.request("POST", "/api/v1/retention/apply",
                             {"approve": [{"item": a["item"], "mailbox": a["mailbox"]}]})
            j = r.json() if r.status == 200 else {}
            c.check(r.status == 200 and j["disposed"] == [{"item": a["item"], "mailbox": a["mailbox"],
                                                           "policy": "short"}] and j["not_disposed"] == [],
                    f"the approved placement alone is disposed of: {r}")
            r = comp.request("POST", "/api/v1/retention/apply", {"reject": [{"item": 1, "mailbox": OKAFOR}]})
            c.check(r.status == 400 and "reject[0].reason" in r.json()["error"]["message"],
                    f"a rejection needs its reason: {r}")
            r = comp.request("POST", "/api/v1/retention/apply", {})
            c.check(r.status == 200 and r.json()["disposed"] == [], "an apply without approvals disposes of nothing")
            after = comp.request("GET", "/api/v1/retention/review").json()["dispose"]
            c.check(len(after) == len(due) - 1 and a["item"] not in [d["item"] for d in after],
                    f"the disposed placement is gone, the rest still due: {len(after)}")
            rb = [d for d in after if d["item"] == b["item"]]
            c.check(rb and rb[0]["rejected"] and rb[0]["rejected"]["by"] == "comp"
                    and rb[0]["rejected"]["reason"] == "still needed", f"the rejected one is shown as such: {rb}")
        events = audit.request("GET", "/api/v1/audit?actor=comp").json()["events"]
        actions = {e["action"] for e in events}
        c.check({"policy.add", "policy.change", "policy.remove", "retention.run", "retention.reject",
                 "retention.dispose"} <= actions, f"all of it is audited: {sorted(actions)}")
    finally:
        rc = svc.stop()
        c.check(rc == 0, f"SIGTERM stops the service cleanly (exit {rc})")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return c.done("test_retention_api")


if __name__ == "__main__":
    sys.exit(main())
