#!/usr/bin/env python3
"""The service's routes and who may call them, end to end against a real `chatvault serve`:

* src/server/openapi.json describes exactly the routes the server has (`serve --routes`), each
  with the permission the server enforces;
* every route × every role (a cookie session per role), an API token, and no credentials: the
  answer is allowed or denied exactly as this file's own table of the roles says (written out
  here from the documented table, not read from the code);
* every response — 200s, 401s, 403s, 404s — carries the Content-Security-Policy and the other
  security headers; /healthz says "ok" and nothing more; there is no debug or dump route;
* the session cookie is HttpOnly and SameSite=Strict; a cookie session's POST without the CSRF
  token is refused; a wrong password and a locked account get the same answer.

Usage: test_routes.py --chatvault BUILD/chatvault [--keep]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from service import Checks, Client, ROLES, Service, test_args  # noqa: E402

# The documented role table (src/server/auth/auth.hpp, README "Roles"), written out again.
ALL = {
    "connectors.read", "connectors.manage", "connectors.run", "quarantine.read", "quarantine.manage",
    "holds.read", "holds.manage", "retention.read", "retention.manage", "retention.apply", "cases.read",
    "cases.manage", "search", "items.read", "export", "review.assigned", "audit.read", "users.read",
    "users.manage", "tokens.own", "metrics.read",
}
GRANTS = {
    "organization-management": ALL,
    "mailbox-import-export": {"connectors.read", "connectors.manage", "connectors.run", "quarantine.read",
                              "quarantine.manage", "tokens.own", "metrics.read"},
    "compliance-administrator": {"holds.read", "holds.manage", "retention.read", "retention.manage",
                                 "retention.apply", "tokens.own"},
    "ediscovery-manager": {"cases.read", "cases.manage", "search", "items.read", "export", "tokens.own"},
    "reviewer": {"review.assigned", "items.read"},
    "auditor": {"audit.read", "tokens.own"},
}
# A reviewer's items.read covers only the cases they are assigned to (the server checks that
# beyond the role): with no assignment, reading an item is refused.
REVIEWER_LIMITED = {("GET", "/api/v1/items/{id}"), ("GET", "/api/v1/items/{id}/context"),
                    ("GET", "/api/v1/items/{id}/eml")}
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
PASSWORD = "correct horse battery staple"


def concrete(path: str) -> str:
    """A path to call: parameters filled with names that exist nowhere (a delete then finds
    nothing, which is still "allowed": the answer is 404, not 401/403)."""
    return (path.replace("{name}", "nobody-here").replace("{id}", "999999")
            .replace("{connector}", "no-such-connector").replace("{user}", "nobody-here")
            .replace("{search}", "no-such-search").replace("{item}", "999999"))


def body_for(method: str, path: str):
    return {} if method in ("POST", "PUT") else None


def main() -> int:
    args = test_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="cv-routes-")
    users = {f"u-{role}": ([role], PASSWORD) for role in ROLES}
    svc = Service(args.chatvault, work, users)

    # --- the OpenAPI file against the route table -------------------------------------------
    listed = svc.cli("serve", "--routes").stdout.splitlines()
    routes = [tuple(line.split("\t")) for line in listed if line]
    with open(os.path.join(HERE, "..", "..", "src", "server", "openapi.json"), encoding="utf-8") as f:
        spec = json.load(f)
    documented = {(m.upper(), p, op["x-permission"]) for p, ops in spec["paths"].items() for m, op in ops.items()}
    c.check(len(routes) >= 30, f"serve --routes lists the routes ({len(routes)})")
    c.check(set(routes) == documented,
            "openapi.json and the server agree on routes and permissions: "
            f"only in the server {sorted(set(routes) - documented)}, only in openapi.json {sorted(documented - set(routes))}")
    for m, p, perm in routes:
        c.check(perm in ALL or perm in ("public", "authenticated"), f"{m} {p}: known permission {perm}")
        c.check(not any(w in p for w in ("debug", "dump", "diag", "pprof", "admin/")), f"no debug route: {p}")
    public = {(m, p) for m, p, perm in routes if perm == "public"}
    c.check(public == {("GET", "/healthz"), ("POST", "/api/v1/session"), ("GET", "/webhooks/cloud-api/{connector}"),
                       ("POST", "/webhooks/cloud-api/{connector}")},
            f"only health, sign-in and the signed webhooks are public: {sorted(public)}")

    svc.start()
    try:
        # A command on the same archive says why it waits instead of hanging silently.
        waiter = subprocess.Popen([args.chatvault, "user", "ls", "--archive", svc.archive],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            line = waiter.stderr.readline()  # printed before it blocks
        finally:
            waiter.kill()
            waiter.wait()
        c.check("another chatvault process has it open" in line, f"a CLI command says it waits for the service: {line!r}")
        anon = svc.client()
        # --- /healthz and headers ---------------------------------------------------------------
        r = anon.request("GET", "/healthz")
        c.check(r.status == 200 and r.body == b"ok\n", f"/healthz answers ok and nothing else: {r}")
        for name, value in SECURITY_HEADERS.items():
            c.check(value in r.headers.get(name, ""), f"/healthz carries {name}: {value}")
        c.check("server" not in r.headers or "chatvault" not in r.headers["server"].lower(),
                "no Server header naming the software")
        r = anon.request("GET", "/no/such/route")
        c.check(r.status == 404 and "default-src 'none'" in r.headers.get("content-security-policy", ""),
                f"a 404 carries the CSP too: {r}")

        # --- sign-in --------------------------------------------------------------------------------
        sessions: dict[str, Client] = {}
        for role in ROLES:
            cl = svc.client()
            r = cl.login(f"u-{role}", PASSWORD)
            c.check(r.status == 200, f"{role} signs in: {r}")
            sessions[role] = cl
            if role == ROLES[0]:
                cookie = r.headers.get("set-cookie", "")
                c.check("HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie,
                        f"the session cookie is HttpOnly and SameSite=Strict: {cookie}")
                c.check("Secure" not in cookie, "no Secure flag without TLS (the browser would drop it)")
                c.check(set(r.json()["permissions"]) == GRANTS[role], f"{role}: permissions as documented")
        bad = svc.client().login("u-auditor", "wrong password here")
        unknown = svc.client().login("no-such-user", "wrong password here")
        c.check(bad.status == 401 and unknown.status == 401 and bad.json() == unknown.json(),
                f"a wrong password and an unknown user get the same answer: {bad} / {unknown}")

        # --- CSRF ---------------------------------------------------------------------------------
        admin = sessions["organization-management"]
        r = admin.request("POST", "/api/v1/holds", {"mailbox": "x@example.com", "reason": "csrf"}, csrf=False)
        c.check(r.status == 403 and r.json()["error"]["code"] == "csrf", f"a POST without X-CSRF-Token is refused: {r}")
        r = admin.request("POST", "/api/v1/holds", {"mailbox": "x@example.com", "reason": "csrf"},
                          headers={"X-CSRF-Token": "forged"})
        c.check(r.status == 403, f"a POST with a wrong X-CSRF-Token is refused: {r}")

        # --- an API token ---------------------------------------------------------------------
        r = admin.request("POST", "/api/v1/tokens", {"scopes": ["audit.read"], "expires_in_days": 1, "label": "siem"})
        c.check(r.status == 201 and r.json()["token"].startswith("cvt_"), f"a token is issued once: {r}")
        tok = svc.client()
        tok.token = r.json()["token"] if r.status == 201 else "cvt_x"
        c.check(tok.request("GET", "/api/v1/audit").status == 200, "the token reads the audit trail")
        c.check(tok.request("GET", "/api/v1/users").status == 403, "the token does not reach beyond its scope")
        if r.status == 201:
            revoked = admin.request("DELETE", f"/api/v1/tokens/{r.json()['id']}")
            c.check(revoked.status == 204, f"the token is revoked: {revoked}")
            c.check(tok.request("GET", "/api/v1/audit").status == 401, "a revoked token stops working at once")
        bogus = svc.client()
        bogus.token = "cvt_0000000000000000_" + "0" * 64
        c.check(bogus.request("GET", "/healthz").status == 200, "health needs no credentials")
        r = bogus.request("GET", "/api/v1/audit")
        c.check(r.status == 401 and "www-authenticate" in r.headers, f"an unknown token is refused with 401: {r}")

        # --- every route × every role, and no credentials ----------------------------------------
        order = [rt for rt in routes if rt[:2] != ("DELETE", "/api/v1/session")] + \
                [rt for rt in routes if rt[:2] == ("DELETE", "/api/v1/session")]
        for m, p, perm in order:
            path = concrete(p)
            r = anon.request(m, path, body_for(m, p))
            if perm == "public":
                c.check(r.status not in (401, 403) or p.startswith("/webhooks"),
                        f"{m} {p}: public, answered without credentials: {r}")
            else:
                c.check(r.status == 401, f"{m} {p}: no credentials → 401: {r}")
            for name, value in SECURITY_HEADERS.items():
                c.check(value in r.headers.get(name, ""), f"{m} {p} ({r.status}): {name} present")
            for role in ROLES:
                r = sessions[role].request(m, path, body_for(m, p))
                if perm in ("public", "authenticated"):
                    allowed = True
                else:
                    allowed = perm in GRANTS[role] and not (role == "reviewer" and (m, p) in REVIEWER_LIMITED)
                if p.startswith("/webhooks"):
                    continue  # signed, not role-checked: test_webhooks.py
                if allowed:
                    c.check(r.status not in (401, 403), f"{m} {p} as {role}: allowed, got {r}")
                else:
                    c.check(r.status == 403, f"{m} {p} as {role}: denied with 403, got {r}")
        r = admin.request("GET", "/api/v1/session")
        c.check(r.status == 401, f"after DELETE /api/v1/session the session is gone: {r}")
    finally:
        rc = svc.stop()
        c.check(rc == 0, f"SIGTERM stops the service cleanly (exit {rc})")
        if not args.keep:
            import shutil
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept", work)
    return c.done("test_routes")


if __name__ == "__main__":
    sys.exit(main())
