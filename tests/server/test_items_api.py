#!/usr/bin/env python3
"""An investigator's routes around a search hit, through a real `chatvault serve`: the chat around
an item (oldest first, the counts as asked), the item's archived email byte for byte (the same
bytes as `chatvault show ID --eml` gave before the service started, and their SHA-256 the one
the item shows), how a query is read and what it would find (a malformed query → 400 naming its
column), a reviewer kept out of the general item routes, and all of it in the audit trail.

Usage: test_items_api.py --chatvault BUILD/chatvault [--keep]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from service import Checks, quote, Service, test_args  # noqa: E402

PASSWORD = "items test passphrase"
OKAFOR = "m.okafor@bank.example"


def main() -> int:
    args = test_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="cv-items-")
    svc = Service(args.chatvault, work, {"ed": (["ediscovery-manager"], PASSWORD),
                                         "rita": (["reviewer"], PASSWORD),
                                         "audit": (["auditor"], PASSWORD)})
    svc.import_demo()
    # Before the service starts (it locks the archive): the items in order, and one's email.
    found = json.loads(svc.cli("search", "kind:message", "--archive", svc.archive, "--json",
                               "--limit", "100").stdout)["hits"]
    ids = sorted(h["item"] for h in found)
    c.check(len(ids) >= 8, f"the demo chat has messages: {ids}")
    middle = ids[len(ids) // 2]
    earliest = min(found, key=lambda h: h["utc"])["item"]  # a message restored from a backup
    eml = subprocess.run([args.chatvault, "show", str(middle), "--eml", "--archive", svc.archive],
                         capture_output=True, env=svc.env, timeout=120, check=True).stdout
    shown = json.loads(svc.cli("show", str(middle), "--archive", svc.archive, "--json").stdout)
    svc.start()
    try:
        ed, rita, audit = svc.client(), svc.client(), svc.client()
        for cl, name in ((ed, "ed"), (rita, "rita"), (audit, "audit")):
            c.check(cl.login(name, PASSWORD).status == 200, f"{name} signs in")

        # --- the chat around an item --------------------------------------------------------------
        r = ed.request("GET", f"/api/v1/items/{middle}/context?before=2&after=3")
        c.check(r.status == 200, f"the context of item {middle}: {r}")
        if r.status == 200:
            j = r.json()
            c.check(j["item"] == middle and j["item_summary"]["item"] == middle, f"it names the item: {j['item']}")
            c.check(j["conversation"] == "FX Desk – Frankfurt", f"and the conversation: {j['conversation']}")
            c.check(len(j["before"]) == 2 and len(j["after"]) == 3, f"2 before and 3 after: {j}")
            entries = j["before"] + [j["item_summary"]] + j["after"]
            sent = [e["sent"] for e in entries]
            c.check(sent == sorted(sent), f"oldest first: {sent}")
            c.check(all(set(e) == {"item", "author", "sent", "kind", "text", "attachments", "deleted"}
                        for e in entries), f"every entry has the documented fields: {entries[0]}")
            c.check(all(e["sent"].endswith("Z") for e in entries), f"times in UTC: {sent}")
            c.check(middle not in [e["item"] for e in j["before"] + j["after"]], "the item is not its own context")
        r = ed.request("GET", f"/api/v1/items/{middle}/context?before=50&after=50")
        whole = r.json()["before"] + [r.json()["item_summary"]] + r.json()["after"] if r.status == 200 else []
        photo = [a for e in whole for a in e["attachments"] if a["name"] == "IMG-20250902-WA0001.jpg"]
        c.check(len(photo) == 1 and photo[0]["present"] is True and isinstance(photo[0]["size"], int)
                and photo[0]["size"] > 0,
                f"an attachment in the chat as the item route gives it ({{name, present, size}}): {photo}")
        r = ed.request("GET", f"/api/v1/items/{earliest}/context")
        c.check(r.status == 200 and r.json()["before"] == [] and len(r.json()["after"]) == 5,
                f"the earliest item: nothing before, 5 after by default: {r}")
        r = ed.request("GET", f"/api/v1/items/{middle}/context?before=51")
        c.check(r.status == 400 and "before" in r.json()["error"]["message"], f"at most 50, naming the field: {r}")
        r = ed.request("GET", f"/api/v1/items/{middle}/context?after=x")
        c.check(r.status == 400 and "after" in r.json()["error"]["message"], f"a bad count names the field: {r}")
        c.check(ed.request("GET", "/api/v1/items/99999/context").status == 404, "no such item → 404")
        c.check(rita.request("GET", f"/api/v1/items/{middle}/context").status == 403,
                "a reviewer cannot read the context through the general route")

        # --- the archived email ----------------------------------------------------------------------
        r = ed.request("GET", f"/api/v1/items/{middle}/eml")
        c.check(r.status == 200, f"the item's email: {r.status}")
        c.check(r.body == eml, "byte for byte what `chatvault show --eml` gave")
        c.check(hashlib.sha256(r.body).hexdigest() == shown.get("sha256", shown.get("render_sha256")),
                f"its SHA-256 is the archived one: {shown.get('sha256')}")
        c.check(r.headers.get("content-type", "").startswith("message/rfc822"), f"message/rfc822: {r.headers}")
        c.check(r.headers.get("content-disposition") == f'attachment; filename="item-{middle}.eml"',
                f"as an attachment: {r.headers.get('content-disposition')}")
        c.check(rita.request("GET", f"/api/v1/items/{middle}/eml").status == 403,
                "a reviewer cannot download through the general route")

        # --- explain and estimate ----------------------------------------------------------------------
        r = ed.request("GET", "/api/v1/search/explain?q=" + quote("Nordhafen  AND kind:message") + "&tz=Europe%2FBerlin")
        c.check(r.status == 200 and r.json()["zone"] == "Europe/Berlin" and isinstance(r.json()["notes"], list)
                and "Nordhafen" in r.json()["query"], f"a query explained: {r}")
        r = ed.request("GET", "/api/v1/search/explain?q=" + quote("budget from:("))
        c.check(r.status == 400 and "column 13" in r.json()["error"]["message"]
                and r.json()["error"]["message"].startswith("q: "), f"a malformed query names its column: {r}")
        r = ed.request("GET", "/api/v1/search/explain?q=x&tz=Mars%2FOlympus")
        c.check(r.status == 400 and "tz" in r.json()["error"]["message"], f"an unknown zone names tz: {r}")
        r = ed.request("GET", "/api/v1/search/estimate?q=kind%3Amessage")
        j = r.json() if r.status == 200 else {}
        c.check(r.status == 200 and j["items"] == len(ids) and j["bytes"] > 0 and OKAFOR in j["mailboxes"],
                f"the estimate counts the messages: {r}")
        r = ed.request("GET", "/api/v1/search/estimate?q=kind%3Amessage&mailbox=nobody%40x.example")
        c.check(r.status == 200 and r.json()["items"] == 0 and r.json()["mailboxes"] == {},
                f"none in another mailbox: {r}")
        r = ed.request("GET", "/api/v1/search/estimate?q=" + quote("(budget"))
        c.check(r.status == 400 and "column" in r.json()["error"]["message"], f"estimate: malformed → 400: {r}")
        c.check(ed.request("GET", "/api/v1/search/estimate").status == 400, "estimate: q is required")

        events = audit.request("GET", "/api/v1/audit?actor=ed").json()["events"]
        actions = [e["action"] for e in events]
        c.check({"item.context", "item.download", "search.estimate"} <= set(actions),
                f"what ed looked at is audited: {sorted(set(actions))}")
        downloads = [e for e in events if e["action"] == "item.download"]
        c.check(downloads and downloads[0]["parameters"]["item"] == middle, f"the download names the item: {downloads}")
    finally:
        rc = svc.stop()
        c.check(rc == 0, f"SIGTERM stops the service cleanly (exit {rc})")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return c.done("test_items_api")


if __name__ == "__main__":
    sys.exit(main())
