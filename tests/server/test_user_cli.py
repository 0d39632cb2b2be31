#!/usr/bin/env python3
"""`chatvault user` and `chatvault token` end to end: the real binary on a fresh archive.

Usage:
    test_user_cli.py [--chatvault BUILD/chatvault] [--keep]

Users: the first administrator with a generated password (printed once), others with
--password-stdin; the password policy, names, roles and duplicates refused with exit 64 naming
the field; `user ls` (text and --json) never shows a hash; passwd, role, disable/enable, rm; the
last administrator cannot be removed (77). Tokens: add (text and --json; printed once, in the
documented shape), scopes beyond the owner's roles and expiries beyond 366 days refused, ls with
states, rm (revoked, kept on record), a removed user's tokens revoked. Throughout: every change
is in the audit trail with its actor, no password or token appears in the audit output or in any
byte of the archive folder, and `verify` still passes.

Exit 0 when every check holds, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "archive"))
from cvarchive import Vault, common_args, run_in_temp  # noqa: E402

TOKEN_RE = re.compile(r"cvt_([0-9a-f]{16})_[0-9a-f]{64}")


def run_stdin(v: Vault, stdin: str, *args: str):
    argv = [v.exe, *args, "--archive", v.archive]
    p = subprocess.run(argv, input=stdin.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=v.env, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def shown_password(out: str) -> str:
    m = re.search(r"password \(shown once, keep it safe\): (\S+)", out)
    return m.group(1) if m else ""


def every_byte(folder: str) -> bytes:
    data = b""
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as fh:
                data += fh.read()
    return data


def body(tmp, f, args):
    v = Vault(args.chatvault, os.path.join(tmp, "archive"))
    v.env["CHATVAULT_ACTOR"] = "it-ops"
    v.init()
    secrets: list[str] = []

    # ---- users
    r = v.run("user", "add", "root-admin", "--role", "organization-management")
    f.check(r.rc == 0, "the first administrator is added", r.describe())
    generated = shown_password(r.out)
    f.check(len(generated) == 20, "a generated password is printed once", r.out)
    secrets.append(generated)

    ana_pw = "ana's long passphrase 2026"
    secrets.append(ana_pw)
    rc, out, err = run_stdin(v, ana_pw + "\n", "user", "add", "ana@bank.example", "--role", "ediscovery-manager",
                             "--role", "auditor", "--password-stdin", "--actor", "root-admin")
    f.check(rc == 0 and ana_pw not in out and "shown once" not in out, "user add --password-stdin prints no password", out + err)

    rc, out, err = run_stdin(v, "short\n", "user", "add", "bo", "--role", "reviewer", "--password-stdin")
    f.check(rc == 64 and "password" in err, "a short password is refused (64, names the field)", err)
    rc, out, err = run_stdin(v, "bo-bo-bo-bo-bo\n", "user", "add", "bo-bo-bo-bo-bo", "--role", "reviewer", "--password-stdin")
    f.check(rc == 64 and "user name" in err, "the user name as password is refused", err)
    rc, out, err = run_stdin(v, "", "user", "add", "bo", "--role", "reviewer", "--password-stdin")
    f.check(rc == 64 and "--password-stdin" in err, "no password on stdin is refused", err)
    r = v.run("user", "add", "Bo Smith", "--role", "reviewer")
    f.check(r.rc == 64 and "user name" in r.err, "a bad user name is refused (64)", r.describe())
    r = v.run("user", "add", "bo", "--role", "admin")
    f.check(r.rc == 64 and "--role 'admin'" in r.err, "an unknown role is refused naming --role", r.describe())
    r = v.run("user", "add", "ana@bank.example", "--role", "reviewer")
    f.check(r.rc == 64 and "already" in r.err, "a taken name is refused", r.describe())
    r = v.run("user", "add", "bo", "--role", "reviewer")
    f.check(r.rc == 0, "second user with a generated password", r.describe())
    secrets.append(shown_password(r.out))

    users = {u["name"]: u for u in v.must("user", "ls", "--json").json()}
    f.equal(sorted(users), ["ana@bank.example", "bo", "root-admin"], "user ls --json lists the users")
    f.equal(users["ana@bank.example"]["roles"], ["ediscovery-manager", "auditor"], "roles as given, in table order")
    f.equal(users["ana@bank.example"]["created_by"], "root-admin", "--actor is recorded")
    f.equal(users["bo"]["created_by"], "it-ops", "$CHATVAULT_ACTOR is recorded")
    listing = v.must("user", "ls").out + v.must("user", "ls", "--json").out
    f.check("argon2" not in listing and "hash" not in listing, "user ls never shows a hash", listing)

    new_pw = "ana's second passphrase!"
    secrets.append(new_pw)
    rc, out, err = run_stdin(v, new_pw + "\n", "user", "passwd", "ana@bank.example", "--password-stdin")
    f.check(rc == 0, "user passwd --password-stdin", err)
    r = v.run("user", "passwd", "bo")
    f.check(r.rc == 0 and len(shown_password(r.out)) == 20, "user passwd generates and prints a new password", r.describe())
    secrets.append(shown_password(r.out))
    r = v.run("user", "passwd", "nobody")
    f.check(r.rc == 66, "passwd of an unknown user: 66", r.describe())

    r = v.run("user", "role", "bo", "--role", "reviewer", "--role", "auditor")
    f.check(r.rc == 0, "user role", r.describe())
    users = {u["name"]: u for u in v.must("user", "ls", "--json").json()}
    f.equal(users["bo"]["roles"], ["reviewer", "auditor"], "user role replaces the roles")
    f.check(v.run("user", "disable", "bo").rc == 0, "user disable")
    f.equal({u["name"]: u for u in v.must("user", "ls", "--json").json()}["bo"]["disabled"], True, "bo is disabled")
    f.check(v.run("user", "enable", "bo").rc == 0, "user enable")

    r = v.run("user", "rm", "root-admin")
    f.check(r.rc == 77 and "last" in r.err, "the last administrator cannot be removed (77)", r.describe())
    r = v.run("user", "role", "root-admin", "--role", "auditor")
    f.check(r.rc == 77, "nor demoted", r.describe())

    # ---- tokens
    r = v.run("token", "add", "--user", "ana@bank.example", "--scope", "audit.read", "--scope", "search",
              "--expires", "90d", "--label", "SIEM feed")
    f.check(r.rc == 0, "token add", r.describe())
    m = TOKEN_RE.search(r.out)
    f.check(m is not None, "the token is printed once, cvt_<id>_<secret>", r.out)
    token_a, id_a = (m.group(0), m.group(1)) if m else ("", "")
    secrets.append(token_a)
    r = v.run("token", "add", "--user", "bo", "--scope", "review.assigned", "--expires", "2026-01-01")
    f.check(r.rc == 64 and "expires" in r.err, "an expiry in the past is refused", r.describe())
    j = v.must("token", "add", "--user", "bo", "--scope", "audit.read", "--expires", "30d", "--json").json()
    f.check(TOKEN_RE.fullmatch(j.get("token", "")) is not None and j["owner"] == "bo", "token add --json", str(j))
    secrets.append(j.get("token", ""))
    id_b = j.get("id", "")
    r = v.run("token", "add", "--user", "ana@bank.example", "--scope", "users.manage", "--expires", "90d")
    f.check(r.rc == 64 and "users.manage" in r.err, "a scope beyond the owner's roles is refused", r.describe())
    r = v.run("token", "add", "--user", "ana@bank.example", "--scope", "everything", "--expires", "90d")
    f.check(r.rc == 64 and "--scope" in r.err, "an unknown scope is refused naming --scope", r.describe())
    r = v.run("token", "add", "--user", "ana@bank.example", "--scope", "search", "--expires", "400d")
    f.check(r.rc == 64 and "366" in r.err, "more than 366 days is refused", r.describe())
    r = v.run("token", "add", "--user", "ana@bank.example", "--scope", "search", "--expires", "soon")
    f.check(r.rc == 64 and "--expires" in r.err, "a bad --expires is refused naming it", r.describe())
    r = v.run("token", "add", "--user", "nobody", "--scope", "search", "--expires", "9d")
    f.check(r.rc == 66, "a token for an unknown user: 66", r.describe())

    toks = {t["id"]: t for t in v.must("token", "ls", "--json").json()}
    f.equal(sorted(toks), sorted([id_a, id_b]), "token ls --json lists both")
    f.equal(toks.get(id_a, {}).get("scopes"), ["search", "audit.read"], "scopes in table order")
    f.equal(toks.get(id_a, {}).get("state"), "active", "the token is active")
    f.equal(toks.get(id_a, {}).get("label"), "SIEM feed", "label kept")
    only_bo = v.must("token", "ls", "--user", "bo", "--json").json()
    f.equal([t["id"] for t in only_bo], [id_b], "token ls --user filters")
    text = v.must("token", "ls").out
    f.check(id_a in text and "cvt_" not in text, "token ls shows ids, never tokens", text)
    f.check(v.run("token", "rm", id_a).rc == 0, "token rm")
    f.equal({t["id"]: t for t in v.must("token", "ls", "--json").json()}[id_a]["state"], "revoked", "revoked, kept on record")
    r = v.run("token", "rm", id_a)
    f.check(r.rc == 64 and "already" in r.err, "revoking twice is refused", r.describe())
    r = v.run("token", "rm", "0123456789abcdef")
    f.check(r.rc == 66, "an unknown token: 66", r.describe())

    # ---- a case's reviewers are users
    v.must("case", "create", "inq-1", "--name", "Inquiry")
    r = v.run("case", "reviewer", "add", "inq-1", "no-such-user")
    f.check(r.rc == 64 and "no user" in r.err, "a reviewer must be a user: 64", r.describe())
    v.must("case", "reviewer", "add", "inq-1", "bo")
    f.equal(v.must("case", "show", "inq-1", "--json").json()["reviewers"], ["bo"], "bo reviews the case")
    v.must("case", "reviewer", "rm", "inq-1", "bo")
    f.equal(v.must("case", "show", "inq-1", "--json").json()["reviewers"], [], "and no longer")

    f.check(v.run("user", "rm", "bo").rc == 0, "user rm")
    f.equal([u["name"] for u in v.must("user", "ls", "--json").json()], ["ana@bank.example", "root-admin"], "bo is gone")
    f.equal({t["id"]: t for t in v.must("token", "ls", "--json").json()}[id_b]["state"], "revoked", "bo's token was revoked with bo")

    # ---- the audit trail, and no secret anywhere
    log = v.must("audit", "--json").json()
    actions = [e["action"] for e in log]
    for a in ["user.add", "user.password", "user.role", "user.disable", "user.enable", "user.remove", "token.create", "token.revoke"]:
        f.check(a in actions, f"audited: {a}", str(actions))
    f.check(all(e["actor"] in ("it-ops", "root-admin") for e in log), "every event has its actor", str({e["actor"] for e in log}))
    audit_text = v.must("audit").out + v.must("audit", "--json").out
    disk = every_byte(v.archive)
    for s in secrets:
        f.check(bool(s) and s not in audit_text, "no password or token in the audit trail", s[:12] + "…")
        f.check(bool(s) and s.encode() not in disk, "no password or token in any file of the archive", s[:12] + "…")
    f.check(b"$argon2id$" not in disk, "no password hash in the clear on disk")
    r = v.verify()
    f.check(r.rc == 0, "verify passes with the accounts in the journal", r.describe())


def main() -> int:
    ap, _ = common_args(__doc__.splitlines()[0])
    args = ap.parse_args()
    return run_in_temp(args, "cv-user-cli-", lambda tmp, f: body(tmp, f, args))


if __name__ == "__main__":
    sys.exit(main())
