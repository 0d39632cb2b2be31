#!/usr/bin/env python3
"""A case's hold and export through a real `chatvault serve`: an eDiscovery manager opens a case
over one custodian's mailbox and holds it (all of it, then only what a query finds; a malformed
query is refused naming its column; the case shows its holds to its manager, who has no
holds.read, released once the case is closed), saves a search and exports it; the export runs in the
background (202, then "running" → "done" in the case's list), its zip downloads as an attachment
and its manifest.sha256 matches every file in it; the plaintext folder is gone once zipped and
the exports folder is private (0700); a reviewer cannot export; all of it is audited.

Usage: test_case_exports.py --chatvault BUILD/chatvault [--keep]
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import sys
import tempfile
import zipfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from service import Checks, Service, test_args, wait_for  # noqa: E402

PASSWORD = "export test passphrase"
OKAFOR = "m.okafor@bank.example"


def main() -> int:
    args = test_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="cv-exports-")
    svc = Service(args.chatvault, work, {"ed": (["ediscovery-manager"], PASSWORD),
                                         "rita": (["reviewer"], PASSWORD),
                                         "audit": (["auditor"], PASSWORD),
                                         "comp": (["compliance-administrator"], PASSWORD)})
    svc.import_demo()
    svc.start()
    try:
        ed, rita, audit, comp = svc.client(), svc.client(), svc.client(), svc.client()
        for cl, name in ((ed, "ed"), (rita, "rita"), (audit, "audit"), (comp, "comp")):
            c.check(cl.login(name, PASSWORD).status == 200, f"{name} signs in")
        c.check(ed.request("POST", "/api/v1/cases", {"id": "fx", "name": "FX desk"}).status == 201, "a case")
        r = ed.request("POST", "/api/v1/cases/fx/holds", {"reason": "litigation expected"})
        c.check(r.status == 400 and "custodian" in r.json()["error"]["message"], f"no custodian, no hold: {r}")
        c.check(ed.request("POST", "/api/v1/cases/fx/custodians",
                           {"name": "Okafor", "mailboxes": [OKAFOR]}).status == 200, "a custodian")

        # --- holds ------------------------------------------------------------------------------------
        r = ed.request("POST", "/api/v1/cases/fx/holds", {"reason": "litigation expected"})
        h = r.json() if r.status == 201 else {}
        c.check(r.status == 201 and h["id"] == "fx-hold-1" and h["kind"] == "case" and h["case"] == "fx"
                and h["mailboxes"] == [OKAFOR] and h["placed_by"] == "ed" and h["reason"] == "litigation expected",
                f"the case's mailboxes are held: {r}")
        r = ed.request("POST", "/api/v1/cases/fx/holds", {"query": "Nordhafen", "reason": "the deal"})
        c.check(r.status == 201 and r.json()["id"] == "fx-hold-2" and r.json()["query"] == "Nordhafen",
                f"a hold on what a query finds: {r}")
        r = ed.request("POST", "/api/v1/cases/fx/holds", {"query": "from:(", "reason": "x"})
        c.check(r.status == 400 and "column" in r.json()["error"]["message"], f"a malformed query names its column: {r}")
        r = ed.request("POST", "/api/v1/cases/fx/holds", {})
        c.check(r.status == 400 and "reason" in r.json()["error"]["message"], f"the reason is required: {r}")
        c.check(ed.request("POST", "/api/v1/cases/nope/holds", {"reason": "x"}).status == 404, "no such case → 404")
        holds = comp.request("GET", "/api/v1/holds").json()["holds"]
        c.check({"fx-hold-1", "fx-hold-2"} <= {x["id"] for x in holds}, f"GET /api/v1/holds lists them: {holds}")
        # The case shows its holds to who manages it, without holds.read.
        c.check(ed.request("GET", "/api/v1/holds").status == 403, "the eDiscovery manager has no holds.read")
        shown = ed.request("GET", "/api/v1/cases/fx").json().get("holds", [])
        c.check([(x["id"], x["query"], x["released_at"]) for x in shown] == [("fx-hold-1", "", None), ("fx-hold-2", "Nordhafen", None)],
                f"GET /api/v1/cases/fx shows its holds: {shown}")

        # --- an export ------------------------------------------------------------------------------
        r = ed.request("POST", "/api/v1/cases/fx/searches", {"name": "all", "query": "kind:message"})
        c.check(r.status == 201, f"a saved search: {r}")
        expected = r.json()["estimate"]["items"] if r.status == 201 else -1
        r = ed.request("POST", "/api/v1/cases/fx/exports", {"search": "none"})
        c.check(r.status == 400 and "search" in r.json()["error"]["message"], f"an unknown search names the field: {r}")
        r = ed.request("POST", "/api/v1/cases/fx/exports", {"search": "all", "dedupe": "yes"})
        c.check(r.status == 400 and "dedupe" in r.json()["error"]["message"], f"dedupe must be a boolean: {r}")
        c.check(rita.request("POST", "/api/v1/cases/fx/exports", {"search": "all"}).status == 403,
                "a reviewer cannot export")
        r = ed.request("POST", "/api/v1/cases/fx/exports", {"search": "all", "dedupe": True})
        c.check(r.status == 202 and r.json()["state"] == "running", f"the export starts: {r}")
        export_id = r.json()["id"] if r.status == 202 else "none"

        def finished():
            lst = ed.request("GET", "/api/v1/cases/fx/exports").json()["exports"]
            mine = [e for e in lst if e["id"] == export_id]
            return mine[0] if mine and mine[0]["state"] != "running" else None

        job = wait_for(finished, timeout=120, what="the export to finish")
        c.check(job["state"] == "done" and job["items"] == expected and job["bytes"] > 0 and job["search"] == "all"
                and job["error"] == "" and job["ended"], f"the export is done with every item: {job}")
        exports_dir = os.path.join(svc.archive, "exports")
        c.check(stat.S_IMODE(os.stat(exports_dir).st_mode) == 0o700, "the exports folder is private (0700)")
        c.check(os.listdir(exports_dir) == [f"{export_id}.zip"],
                f"only the zip is left, the plaintext folder is gone: {os.listdir(exports_dir)}")
        r = ed.request("GET", f"/api/v1/exports/{export_id}/download")
        c.check(r.status == 200 and r.headers.get("content-type") == "application/zip"
                and r.headers.get("content-disposition", "").startswith("attachment;")
                and len(r.body) == job["bytes"], f"the zip downloads as an attachment: {r.status} {r.headers}")
        if r.status == 200:
            z = zipfile.ZipFile(io.BytesIO(r.body))
            names = z.namelist()
            manifest = [n for n in names if n.endswith("manifest.sha256")]
            c.check(len(manifest) == 1, f"the zip has a manifest: {names[:5]}")
            if manifest:
                prefix = manifest[0][: -len("manifest.sha256")]
                lines = z.read(manifest[0]).decode().splitlines()
                emls = [n for n in names if n.endswith(".eml")]
                c.check(len(lines) >= len(emls) > 0, f"the manifest covers the .eml files: {len(lines)} {len(emls)}")
                bad = []
                for line in lines:
                    digest, path = line.split("  ", 1)
                    if hashlib.sha256(z.read(prefix + path)).hexdigest() != digest:
                        bad.append(path)
                c.check(not bad, f"every file matches its manifest line: {bad}")
        # A second export (the first one's thread is joined when it starts); both are listed.
        r = ed.request("POST", "/api/v1/cases/fx/exports", {"search": "all"})
        second = r.json()["id"] if r.status == 202 else "none"
        wait_for(lambda: all(e["state"] != "running"
                             for e in ed.request("GET", "/api/v1/cases/fx/exports").json()["exports"]),
                 timeout=120, what="the second export to finish")
        listed = ed.request("GET", "/api/v1/cases/fx/exports").json()["exports"]
        c.check([e["id"] for e in listed] == sorted([export_id, second]) and all(e["state"] == "done" for e in listed),
                f"both exports are listed, done: {listed}")
        c.check(ed.request("GET", "/api/v1/exports/nope/download").status == 404, "no such export → 404")
        c.check(ed.request("GET", "/api/v1/cases/nope/exports").status == 404, "no such case → 404")

        # Downloaded and the case closed: the zip goes (the scheduler's sweep, every few seconds).
        c.check(ed.request("POST", "/api/v1/cases/fx/close").status == 200, "the case is closed")
        shown = ed.request("GET", "/api/v1/cases/fx").json().get("holds", [])
        c.check(len(shown) == 2 and all(x["released_at"] and x["released_by"] == "ed" for x in shown),
                f"a closed case shows its holds released: {shown}")
        wait_for(lambda: not os.path.exists(os.path.join(exports_dir, f"{export_id}.zip")), timeout=30,
                 what="the zip of a downloaded export of a closed case to be removed")
        r = ed.request("GET", f"/api/v1/exports/{export_id}/download")
        c.check(r.status == 404, f"after that it cannot be downloaded: {r}")

        events = audit.request("GET", "/api/v1/audit?actor=ed").json()["events"]
        by_action = {e["action"]: e for e in events}
        c.check("case.export" in by_action and by_action["case.export"]["parameters"]["search"] == "all"
                and by_action["case.export"]["results"] == expected, f"the export is audited with its count")
        c.check("export.download" in by_action and by_action["export.download"]["parameters"]["export"] == export_id,
                "the download is audited")
        c.check("hold.add" in by_action, "the holds are audited")
    finally:
        rc = svc.stop()
        c.check(rc == 0, f"SIGTERM stops the service cleanly (exit {rc})")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return c.done("test_case_exports")


if __name__ == "__main__":
    sys.exit(main())
