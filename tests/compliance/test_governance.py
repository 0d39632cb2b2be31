#!/usr/bin/env python3
"""Holds, retention policies, retention runs, cases and the audit trail end to end: the real
`chatvault` binary on an archive of generated Android exports, every expectation computed by
this script from the messages it generated (their dates, texts and mailboxes), never by the
retention code.

Usage:
    test_governance.py [--chatvault BUILD/chatvault] [--keep] [--seed N]

The archive: a group chat whose two members are mapped (ana@bank.example, bob@corp.example: each
item is placed in both mailboxes) and a 1:1 chat placed in helena@bank.example (--owner). Dates
are spread over the last eight years, none within 20 days of the policy's cut-off (three years
before now, on the calendar). Then: a litigation hold on Bob's mailbox; a case whose custodian is
Ana, holding only what `budget` finds; an org-wide "delete after 3 years" policy and a locked
retention policy that may only get stricter. The dry run must list exactly the placements older
than the cut-off outside Bob's mailbox that the case hold does not protect; --apply removes them
(items in Helena's chat go whole), and importing the same exports again does not bring them back.

Exit 0 when every check holds, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import random
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "archive"))
from cvarchive import Chat, Msg, Vault, common_args, run_in_temp  # noqa: E402

UK = "+44 7700 900461"  # ana@bank.example
DE = "+49 170 9876543"  # bob@corp.example
OWNER = "+4915112345678"  # helena@bank.example, --owner of the 1:1 chat
ANA, BOB, HELENA = "ana@bank.example", "bob@corp.example", "helena@bank.example"
VOCAB = "alpha bravo delta echo golf hotel india kilo lima mike oscar papa quebec romeo sierra tango".split()


def years_before(t: dt.datetime, n: int) -> dt.datetime:
    """`t` minus n calendar years (Feb 29 → Feb 28), as the policy's period is defined."""
    try:
        return t.replace(year=t.year - n)
    except ValueError:
        return t.replace(year=t.year - n, day=28)


def generate(seed: int, now: dt.datetime):
    rng = random.Random(seed)
    cutoff = years_before(now, 3)
    used: set[dt.datetime] = set()

    def when() -> dt.datetime:
        while True:
            days = rng.randint(30, 8 * 365)
            t = (now - dt.timedelta(days=days)).replace(second=0, microsecond=0, tzinfo=None)
            t = t.replace(hour=rng.randint(0, 23), minute=rng.randint(0, 59))
            if abs((t - cutoff.replace(tzinfo=None)).total_seconds()) > 20 * 86400 and t not in used:
                used.add(t)
                return t

    def text(i: int, budget: bool) -> str:
        words = [rng.choice(VOCAB) for _ in range(rng.randint(2, 6))] + [f"n{i}"]
        if budget:
            words.insert(rng.randint(0, len(words)), "budget")
        return " ".join(words)

    group, direct = [], []
    for i in range(40):
        group.append(Msg(when(), rng.choice([UK, DE]), text(i, rng.random() < 0.35)))
    for i in range(20):
        direct.append(Msg(when(), rng.choice(["Bob Miller", "Helena Brandt"]), text(100 + i, rng.random() < 0.3)))
    group.sort(key=lambda m: m.when)
    direct.sort(key=lambda m: m.when)
    return Chat("Project Falcon", group), Chat("Bob Miller", direct), cutoff


def utc_seconds(t: dt.datetime) -> int:
    return int(t.replace(tzinfo=dt.timezone.utc).timestamp())


def body(tmp, f, args):
    now = dt.datetime.now(dt.timezone.utc)
    group, direct, cutoff = generate(args.seed, now)
    v = Vault(args.chatvault, os.path.join(tmp, "archive"))
    v.env["CHATVAULT_ACTOR"] = "records-y"
    v.init()
    mapping = os.path.join(tmp, "users.csv")
    with open(mapping, "w") as fh:
        fh.write(f"phone,email\n{UK},{ANA}\n{DE},{BOB}\n")
    paths = [group.write(os.path.join(tmp, "in", "group"), "zip"), direct.write(os.path.join(tmp, "in", "direct"), "zip")]
    common = ["--tz", "UTC", "--mapping", mapping, "--no-deliver"]
    v.import_json(paths[0], *common)
    v.import_json(paths[1], *common, "--owner", f"{OWNER}={HELENA}")

    # Every message as stored: (item, mailbox) by its sent time, which this script chose unique.
    by_time = {utc_seconds(m.when): m for m in group.messages + direct.messages}
    placed: dict[tuple[int, str], Msg] = {}
    for box in (ANA, BOB, HELENA):
        for row in v.ls(box):
            when = int(dt.datetime.strptime(row["utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())
            f.check(when in by_time, f"item {row['item']} in {box} is a generated message", row["utc"])
            placed[(row["item"], box)] = by_time.get(when)
    f.equal(sum(1 for k in placed if k[1] == ANA), len(group.messages), "every group message is in Ana's mailbox")
    f.equal(sum(1 for k in placed if k[1] == BOB), len(group.messages), "every group message is in Bob's mailbox")
    f.equal(sum(1 for k in placed if k[1] == HELENA), len(direct.messages), "every 1:1 message is in Helena's mailbox")

    # ---- holds
    r = v.run("hold", "add", BOB, "--reason", "Smith v. Bank", "--id", "lit-bob", "--actor", "auditor-x")
    f.check(r.rc == 0, "hold add", r.describe())
    r = v.run("hold", "add", HELENA, "--reason", "short-lived", "--id", "lit-helena", "--actor", "auditor-x")
    f.check(r.rc == 0, "second hold add", r.describe())
    r = v.run("hold", "add", BOB, "--reason", "again", "--id", "lit-bob")
    f.check(r.rc != 0 and "lit-bob" in r.err, "a hold id cannot be used twice", r.describe())
    holds = {h["id"]: h for h in v.must("hold", "ls", "--json").json()}
    f.equal(sorted(holds), ["lit-bob", "lit-helena"], "hold ls lists both holds")
    f.equal(holds["lit-bob"]["mailboxes"], [BOB], "the hold names Bob's mailbox")
    f.equal(holds["lit-bob"]["placed_by"], "auditor-x", "the hold is attributed to --actor")
    r = v.run("hold", "rm", "lit-helena", "--reason", "withdrawn", "--actor", "auditor-x")
    f.check(r.rc == 0, "hold rm", r.describe())
    r = v.run("hold", "rm", "lit-helena", "--reason", "twice")
    f.check(r.rc != 0, "a released hold cannot be released again", r.describe())
    f.equal([h["id"] for h in v.must("hold", "ls", "--json").json()], ["lit-bob"], "hold ls: only holds in force")
    everything = {h["id"]: h for h in v.must("hold", "ls", "--all", "--json").json()}
    f.check(everything.get("lit-helena", {}).get("released_by") == "auditor-x", "hold ls --all shows the release",
            str(everything.get("lit-helena")))

    # ---- a case: Ana is the custodian; its hold keeps what `budget` finds
    v.must("case", "create", "c-17", "--name", "Budget leak", "--description", "who said what")
    v.must("case", "custodian", "add", "c-17", "Ana", "--mailbox", ANA)
    r = v.run("case", "hold", "c-17", "--query", "budget", "--id", "c-17-budget", "--reason", "relevant")
    f.check(r.rc == 0, "case hold --query", r.describe())
    budget_in_ana = [m for (item, box), m in placed.items() if box == ANA and "budget" in m.text.split()]
    est = v.run("case", "search", "add", "c-17", "budget-talk", "budget", "--json")
    f.check(est.rc == 0, "case search add", est.describe())
    if est.rc == 0:
        e = est.json()
        f.equal(e["items"], len(budget_in_ana), "estimate: items the query finds in the custodian's mailbox")
        f.equal(sorted(e["mailboxes"]), [ANA], "estimate: only the custodian's mailbox")
        f.equal(e["mailboxes"].get(ANA, {}).get("items"), len(budget_in_ana), "estimate: per mailbox")
    # The case export: exactly the estimated items, each file matching the load file and the
    # manifest, and the export in the audit trail with its count.
    out = os.path.join(tmp, "export-c17")
    r = v.run("case", "export", "c-17", "budget-talk", "--to", out, "--json", "--actor", "ediscovery-z")
    f.check(r.rc == 0, "case export", r.describe())
    if r.rc == 0:
        f.equal(r.json()["items"], len(budget_in_ana), "case export: the items the saved search finds")
        with open(os.path.join(out, "loadfile.csv"), newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        f.equal(len(rows), len(budget_in_ana), "case export: one load-file row per item in the custodian's mailbox")
        f.check(all(row["Custodian"] == "Ana" and row["Mailbox"] == ANA for row in rows),
                "case export: every row is the custodian's", str(rows[:1]))
        for row in rows:
            with open(os.path.join(out, row["Path"]), "rb") as fh:
                f.equal(hashlib.sha256(fh.read()).hexdigest(), row["SHA256"], f"case export: {row['Path']} hash")
        with open(os.path.join(out, "manifest.sha256"), encoding="utf-8") as fh:
            for line in fh:
                digest, name = line.rstrip("\n").split("  ", 1)
                with open(os.path.join(out, name), "rb") as g:
                    f.equal(hashlib.sha256(g.read()).hexdigest(), digest, f"manifest: {name}")
        logged = v.must("audit", "--actor", "ediscovery-z", "--action", "case.export", "--json").json()
        f.equal([(e["results"], e["parameters"].get("case"), e["parameters"].get("search")) for e in logged],
                [(len(budget_in_ana), "c-17", "budget-talk")], "audit: the case export, its case, search and count")
    shown = v.must("case", "show", "c-17", "--json").json()
    f.check("budget-talk" in str(shown) and "Ana" in str(shown), "case show has the custodian and the search", str(shown)[:300])

    # ---- policies
    r = v.run("retention", "policy", "add", "purge3", "--action", "delete", "--period", "3 years", "--name", "purge")
    f.check(r.rc == 0, "policy add (org-wide delete after 3 years)", r.describe())
    r = v.run("retention", "policy", "add", "keep-ana", "--action", "retain", "--period", "1 year",
              "--mailbox", ANA, "--lock")
    f.check(r.rc == 0, "policy add --lock", r.describe())
    r = v.run("retention", "policy", "set", "keep-ana", "--period", "6 months")
    f.equal(r.rc, 77, "a locked policy cannot be loosened: exit code 77")
    f.check("keep-ana" in r.err and "lock" in r.err, "and says why", r.err.strip())
    r = v.run("retention", "policy", "rm", "keep-ana")
    f.equal(r.rc, 77, "a locked policy cannot be removed")
    r = v.run("retention", "policy", "set", "keep-ana", "--period", "2 years")
    f.check(r.rc == 0, "a locked policy can be made stricter", r.describe())
    pols = {p["id"]: p for p in v.must("retention", "policy", "ls", "--json").json()}
    f.equal(pols.get("keep-ana", {}).get("period"), {"count": 2, "unit": "years"}, "policy ls shows the stricter period")
    f.equal(pols.get("keep-ana", {}).get("locked"), True, "policy ls shows the lock")

    # ---- bad input
    r = v.run("retention", "policy", "add", "bad", "--action", "delete", "--period", "7 weeks")
    f.check(r.rc != 0 and "period" in r.err, "a bad period is refused with a message naming it", r.describe())
    r = v.run("retention", "policy", "add", "bad2", "--action", "shred", "--period", "7 years")
    f.check(r.rc != 0 and "shred" in r.err, "a bad action is refused", r.describe())
    r = v.run("case", "show", "no-such-case")
    f.check(r.rc != 0 and "no-such-case" in r.err, "an unknown case is an error", r.describe())
    r = v.run("case", "custodian", "add", "no-such-case", "X", "--mailbox", ANA)
    f.check(r.rc != 0 and "no-such-case" in r.err, "custodian add on an unknown case is an error", r.describe())
    r = v.run("retention", "run", "--apply", "--now", "2030-01-01")
    f.check(r.rc != 0 and "--now" in r.err, "--now with --apply is refused", r.describe())
    f.equal(len(v.must("ls", ANA, "--json", "--limit", "1000").json()), len(group.messages), "and nothing was disposed of")

    # ---- the dry run: exactly what this script expects
    cut = cutoff.replace(tzinfo=None)
    expected = set()
    for (item, box), m in placed.items():
        if m is None or m.when >= cut:
            continue
        if box == BOB:  # litigation hold
            continue
        if box == ANA and "budget" in m.text.split():  # the case hold's query
            continue
        expected.add((item, box))
    time.sleep(1.1)  # lit-helena protects up to and including the second it was released
    r = v.run("retention", "run", "--json")
    f.check(r.rc == 0, "retention run (dry)", r.describe())
    dry = r.json() if r.rc == 0 else {"dispose": [], "applied": None}
    got = {(d["item"], d["mailbox"]) for d in dry["dispose"]}
    f.equal(dry["applied"], False, "a dry run applies nothing")
    f.check(got == expected, "the dry run lists exactly the placements due",
            f"missing {sorted(expected - got)[:5]}, unexpected {sorted(got - expected)[:5]}")
    f.check(len(expected) > 5, "the data has placements due", str(len(expected)))
    f.equal(dry.get("held"), len(placed) - sum(1 for k, m in placed.items() if k[1] not in (BOB, ANA) or
                                                 (k[1] == ANA and "budget" not in m.text.split())),
            "held placements: Bob's, and Ana's that `budget` finds")
    old_helena = sorted(item for (item, box), m in placed.items() if box == HELENA and m.when < cut)
    last = {d["item"] for d in dry["dispose"] if d["last_placement"]}
    f.equal(sorted(last), old_helena, "only items in Helena's chat go whole")
    text_dry = v.run("retention", "run")
    f.check(text_dry.rc == 0 and f"{len(expected)} due for disposal" in text_dry.out, "the text dry run counts them",
            text_dry.out[-300:])
    f.equal(len(v.must("ls", HELENA, "--json").json()), len(direct.messages), "a dry run removes nothing")

    # ---- apply
    r = v.run("retention", "run", "--apply", "--json", "--actor", "retention-bot")
    f.check(r.rc == 0, "retention run --apply", r.describe())
    done = r.json() if r.rc == 0 else {"disposed": {}}
    f.equal(done.get("disposed", {}).get("placements"), len(expected), "--apply disposes of them")
    f.equal(done.get("disposed", {}).get("items"), len(old_helena), "items removed whole")
    left = {}
    for box in (ANA, BOB, HELENA):
        left[box] = {row["item"] for row in v.ls(box)}
    for box in (ANA, BOB, HELENA):
        want = {item for (item, b) in placed if b == box and (item, b) not in expected}
        f.check(left[box] == want, f"what is left in {box}", f"{len(left[box])} left, {len(want)} expected")
    f.equal(left[BOB], {item for (item, b) in placed if b == BOB}, "the held mailbox is untouched")
    for item in old_helena[:3]:
        r = v.run("show", str(item), "--json")
        f.check(r.rc != 0, f"item {item} is gone", r.describe())
    r = v.verify()
    f.check(r.rc == 0 and r.json().get("ok") is True, "verify after the disposal", r.describe())

    # ---- importing the same exports again brings nothing back
    r = v.run("import", paths[1], *common, "--owner", f"{OWNER}={HELENA}")
    f.check(r.rc == 0 and f"{len(old_helena)} items were disposed of by a retention run before" in r.out,
            "re-import says what was disposed of before", r.out[-400:])
    again = v.import_json(paths[0], *common)
    f.equal(again["total"]["new"], 0, "re-import of the group chat adds nothing")
    for box in (ANA, BOB, HELENA):
        f.equal({row["item"] for row in v.ls(box)}, left[box], f"{box} unchanged by the re-import")
    r = v.run("retention", "run", "--json")
    f.check(r.rc == 0 and r.json()["dispose"] == [], "nothing more is due", r.describe())

    # ---- closing the case releases its hold
    r = v.run("case", "close", "c-17", "--actor", "counsel-z")
    f.check(r.rc == 0, "case close", r.describe())
    after = {h["id"]: h for h in v.must("hold", "ls", "--all", "--json").json()}
    f.check(after.get("c-17-budget", {}).get("released_by") == "counsel-z", "closing the case released its hold",
            str(after.get("c-17-budget")))
    f.equal([h["id"] for h in v.must("hold", "ls", "--json").json()], ["lit-bob"], "only the litigation hold is in force")
    r = v.run("case", "custodian", "add", "c-17", "Bo", "--mailbox", BOB)
    f.check(r.rc != 0, "a closed case takes no custodian", r.describe())
    time.sleep(1.1)  # a hold protects up to and including the second it is released
    r = v.run("retention", "run", "--json")
    now_due = {(d["item"], d["mailbox"]) for d in r.json()["dispose"]} if r.rc == 0 else set()
    want_due = {(item, box) for (item, box), m in placed.items()
                if box == ANA and m.when < cut and "budget" in m.text.split()}
    f.check(now_due == want_due, "once released, what the case hold kept is due",
            f"{len(now_due)} due, {len(want_due)} expected")

    # ---- the audit trail
    r = v.run("audit", "--actor", "auditor-x", "--action", "hold.", "--json")
    f.check(r.rc == 0, "audit --actor --action", r.describe())
    trail = r.json() if r.rc == 0 else []
    f.equal([(a["action"], a["parameters"].get("id")) for a in trail],
            [("hold.add", "lit-bob"), ("hold.add", "lit-helena"), ("hold.release", "lit-helena")],
            "audit lists exactly what auditor-x did to holds")
    f.check(all(a["actor"] == "auditor-x" for a in trail), "all by auditor-x")
    mine = v.must("audit", "--actor", "records-y", "--json").json()
    f.check(len(mine) > 0 and all(a["actor"] == "records-y" for a in mine), "$CHATVAULT_ACTOR attributes",
            str([a["actor"] for a in mine][:5]))
    f.check({"policy.add", "policy.change", "case.create"} <= {a["action"] for a in mine},
            "policy and case actions are on record", str({a["action"] for a in mine}))
    disposals = v.must("audit", "--action", "retention.dispose", "--json").json()
    f.equal([(a["actor"], a["results"]) for a in disposals], [("retention-bot", len(expected))],
            "the disposal is on record with its count")
    closes = v.must("audit", "--actor", "counsel-z", "--json").json()
    f.equal([a["action"] for a in closes], ["hold.release", "case.close"], "case close: the release, then the close")
    r = v.run("audit", "--since", "not a date")
    f.check(r.rc != 0, "a bad --since is refused", r.describe())
    r = v.verify()
    f.check(r.rc == 0 and r.json().get("ok") is True, "verify at the end", r.describe())


def main() -> int:
    ap, _ = common_args(__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    return run_in_temp(args, "cv-governance-", lambda tmp, f: body(tmp, f, args),
                       errors=(AssertionError, KeyError, ValueError))


if __name__ == "__main__":
    sys.exit(main())
