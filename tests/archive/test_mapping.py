#!/usr/bin/env python3
"""The user-mapping precedence table, end to end through `chatvault import`.

Usage:
    test_mapping.py [--chatvault BUILD/chatvault] [--keep]

Per participant the CSV (by phone number) decides first, then the address the source carries
(for a chat export only the owner's, from --owner; --owner-name picks the owner in a group),
else nobody; an item goes to the "WhatsApp Archiver" folder of every mapped participant's
mailbox, or to quarantine when none is mapped. Each case below runs on a fresh archive:

  csv-hit          a "+44 …" author listed in the CSV: every item of the chat in that mailbox
  csv-hit-all      two authors listed: every item in both mailboxes (sender and recipients)
  owner-email      CSV misses, --owner gives the 1:1 owner's address: filed to the owner
  owner-silent     a 1:1 chat the owner only received (never wrote in): still filed to --owner
  csv-beats-owner  the CSV lists the owner's number with another address: the CSV's wins
  owner-name       a group export, --owner-name says which author is the owner
  neither          nothing maps: quarantined with a reason (`quarantine ls`), then
                   `quarantine retry --mapping NEW.csv` files them: the mailbox lists them,
                   quarantine is empty, `show --eml` works, `verify` passes
  bad-csv          invalid and conflicting rows: exit 65, `CSV:LINE:` on stderr for each bad
                   line, nothing imported (journal and counts unchanged); same for retry; an
                   identical repeated row is at least named with its line
  national         "0170 …" rows need --default-region: refused without it, filed with DE

Exit 0 when every check holds, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
from cvarchive import Chat, Failures, Msg, Vault, common_args, minutes, run_in_temp

T0 = dt.datetime(2026, 11, 24, 10, 5)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4

UK = "+44 7700 900461"  # Ofcom drama range, what the demo uses
DE = "+49 170 9876543"
OWNER_PHONE = "+4915112345678"


def team_chat() -> Chat:
    t = minutes(T0, 5)
    return Chat("Team Lisbon", [
        Msg(t[0], UK, "Morning, the numbers are in"),
        Msg(t[1], "Carol Jones", "Thanks, looking now"),
        Msg(t[2], "Carol Jones", "Overnight book", attachment="IMG-20261124-WA0001.jpg"),
        Msg(t[3], DE, "Confirmed on my side"),
        Msg(t[4], UK, "Booked"),
    ], {"IMG-20261124-WA0001.jpg": JPEG})


def one_to_one() -> Chat:
    t = minutes(T0, 3)
    return Chat("Bob Miller", [
        Msg(t[0], "Bob Miller", "Are we still on for Friday?"),
        Msg(t[1], "Alice Owner", "Yes, 10:00 at the office"),
        Msg(t[2], "Bob Miller", "Great"),
    ])


def numbered_peer() -> Chat:
    """A 1:1 chat with an unsaved contact: WhatsApp names the chat by the number."""
    t = minutes(T0, 3)
    return Chat(DE, [
        Msg(t[0], DE, "Hello, is this the trading desk?"),
        Msg(t[1], "Me", "It is, how can I help"),
        Msg(t[2], DE, "Please call me back"),
    ])


def write_csv(path: str, rows: list[tuple[str, str]]) -> str:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("phone,email\r\n")
        for phone, email in rows:
            f.write(f"{phone},{email}\r\n")
    return path


class Case:
    def __init__(self, exe: str, tmp: str, name: str) -> None:
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.vault = Vault(exe, os.path.join(self.dir, "archive"))
        self.vault.init()


def message_ids(rows: list[dict]) -> list[str]:
    return sorted(r["message_id"] for r in rows)


def main() -> int:
    ap, _ = common_args(__doc__.split("\n\n")[0])
    args = ap.parse_args()
    return run_in_temp(args, "cv-mapping-", lambda t, g: run_cases(args.chatvault, t, g))


def run_cases(exe: str, tmp: str, f: Failures) -> None:
    # --- csv-hit: one "+number" author listed -------------------------------------------
    c = Case(exe, tmp, "csv-hit")
    src = team_chat().write(os.path.join(c.dir, "in"), "txt")
    csv = write_csv(os.path.join(c.dir, "map.csv"), [(UK, "ext.trader@example.com"),
                                                     ("+1 202 555 0143", "someone.else@example.com")])
    rep = c.vault.import_json(src, "--tz", "Europe/Lisbon", "--mapping", csv)
    f.equal(rep["total"]["new"], 5, "csv-hit: import new")
    f.equal(rep["total"]["quarantined"], 0, "csv-hit: nothing quarantined")
    f.equal(c.vault.mailboxes(), {"ext.trader@example.com": 5},
            "csv-hit: every item of the chat in the CSV's mailbox (and no other mailbox)")
    f.equal(rep["total"]["new_per_mailbox"], {"ext.trader@example.com": 5}, "csv-hit: --json new_per_mailbox")
    rows = c.vault.ls("ext.trader@example.com")
    expected = ["Morning, the numbers are in", "Thanks, looking now", "IMG-20261124-WA0001.jpg (file attached)",
                "Confirmed on my side", "Booked"]
    f.check(len(rows) == 5 and all(any(r["text"].startswith(e) for r in rows) for e in expected),
            "csv-hit: ls lists the chat's five messages", repr([r["text"] for r in rows]))
    f.equal(c.vault.quarantine(), [], "csv-hit: quarantine ls is empty")

    # --- csv-hit-all: two authors listed, both mailboxes get everything -----------------
    c = Case(exe, tmp, "csv-hit-all")
    src = team_chat().write(os.path.join(c.dir, "in"), "zip")
    csv = write_csv(os.path.join(c.dir, "map.csv"), [(UK, "ext.trader@example.com"),
                                                     ("+49 (0)170 98 76 543", "de.trader@example.com")])
    c.vault.import_json(src, "--tz", "Europe/Lisbon", "--mapping", csv)
    f.equal(c.vault.mailboxes(), {"ext.trader@example.com": 5, "de.trader@example.com": 5},
            "csv-hit-all: every item in the mailbox of every mapped participant")
    f.equal(message_ids(c.vault.ls("ext.trader@example.com")), message_ids(c.vault.ls("de.trader@example.com")),
            "csv-hit-all: both mailboxes list the same items")
    f.equal(c.vault.verify().rc, 0, "csv-hit-all: verify")

    # --- owner-email: CSV miss, --owner maps the 1:1 owner --------------------------------
    c = Case(exe, tmp, "owner-email")
    src = one_to_one().write(os.path.join(c.dir, "in"), "txt")
    csv = write_csv(os.path.join(c.dir, "map.csv"), [(UK, "ext.trader@example.com")])
    rep = c.vault.import_json(src, "--tz", "UTC", "--mapping", csv, "--owner", f"{OWNER_PHONE}=alice@example.com")
    f.equal(c.vault.mailboxes(), {"alice@example.com": 3},
            "owner-email: CSV miss, so the owner's --owner address files the chat")
    f.equal(rep["total"]["quarantined"], 0, "owner-email: nothing quarantined")
    eml = c.vault.must("show", c.vault.ls("alice@example.com")[0]["message_id"], "--eml").out
    f.check("alice@example.com" in eml, "owner-email: the archived email carries the owner's address",
            eml[:600])

    # --- owner-silent: a 1:1 chat the owner only received: the owner is still the party who
    # is not the chat's name, and still a participant whose mailbox gets the chat.
    c = Case(exe, tmp, "owner-silent")
    t = minutes(T0, 2)
    src = Chat("Bob Miller", [Msg(t[0], "Bob Miller", "Invoice attached next week"),
                              Msg(t[1], "Bob Miller", "Please confirm receipt")]).write(os.path.join(c.dir, "in"))
    rep = c.vault.import_json(src, "--tz", "UTC", "--owner", f"{OWNER_PHONE}=alice@example.com")
    f.equal((c.vault.mailboxes(), rep["total"]["quarantined"]), ({"alice@example.com": 2}, 0),
            "owner-silent: a 1:1 chat in which only the peer wrote is filed to --owner's mailbox")

    # --- csv-beats-owner: the CSV's row for the owner's number wins over --owner's email ---
    c = Case(exe, tmp, "csv-beats-owner")
    src = one_to_one().write(os.path.join(c.dir, "in"), "txt")
    csv = write_csv(os.path.join(c.dir, "map.csv"), [("+49 151 12345678", "alice.hr@example.com")])
    c.vault.import_json(src, "--tz", "UTC", "--mapping", csv, "--owner", f"{OWNER_PHONE}=alice@example.com")
    f.equal(c.vault.mailboxes(), {"alice.hr@example.com": 3},
            "csv-beats-owner: the CSV's address for the owner's number, not --owner's")

    # --- owner-name: a group export, the owner picked by name -----------------------------
    c = Case(exe, tmp, "owner-name")
    src = team_chat().write(os.path.join(c.dir, "in"), "folder")
    r = c.vault.run("import", src, "--tz", "UTC", "--owner", f"{OWNER_PHONE}=carol@example.com", "--json")
    f.equal(r.rc, 0, "owner-name: group import without --owner-name exits 0")
    f.equal(r.json()["total"]["quarantined"], 5, "owner-name: without --owner-name a group's owner is unknown: "
            "all quarantined")
    f.check("--owner-name" in r.err, "owner-name: a warning says to pass --owner-name", r.err[-300:])
    rr = c.vault.must("quarantine", "retry", "--owner", f"{OWNER_PHONE}=carol@example.com", "--owner-name", "Carol Jones")
    f.check(re.search(r"filed 5\s+still quarantined 0", rr.out) is not None,
            "owner-name: retry --owner-name files all five", rr.out.strip())
    f.equal(c.vault.mailboxes(), {"carol@example.com": 5}, "owner-name: filed to the named owner's mailbox")
    c2 = Case(exe, tmp, "owner-name-direct")
    src = team_chat().write(os.path.join(c2.dir, "in"), "txt")
    c2.vault.import_json(src, "--tz", "UTC", "--owner", f"{OWNER_PHONE}=carol@example.com", "--owner-name",
                         "Carol Jones")
    f.equal(c2.vault.mailboxes(), {"carol@example.com": 5}, "owner-name: import --owner-name files to the owner")

    # --- neither: quarantine, then retry with a new mapping -------------------------------
    c = Case(exe, tmp, "neither")
    src = numbered_peer().write(os.path.join(c.dir, "in"), "txt")
    rep = c.vault.import_json(src, "--tz", "UTC")
    f.equal((rep["total"]["seen"], rep["total"]["new"], rep["total"]["quarantined"]), (3, 3, 3),
            "neither: (seen, new, quarantined)")
    f.equal(c.vault.mailboxes(), {}, "neither: no mailbox gets anything")
    held = c.vault.quarantine()
    f.equal(len(held), 3, "neither: quarantine ls lists the three items")
    f.check(all(h.get("reason") and h.get("message_id") and h.get("since") for h in held),
            "neither: every quarantined item has a message_id, a reason and a since", repr(held))
    if held:
        f.check(c.vault.show(held[0]["item"]).get("quarantined") not in (False, None, 0),
                "neither: show --json says quarantined", repr(c.vault.show(held[0]["item"]))[:300])
    still = c.vault.must("quarantine", "retry", "--mapping",
                         write_csv(os.path.join(c.dir, "other.csv"), [(UK, "x@example.com")]))
    f.check(re.search(r"filed 0\s+still quarantined 3", still.out) is not None,
            "neither: retry with a mapping that still misses files nothing", still.out.strip())
    newcsv = write_csv(os.path.join(c.dir, "new.csv"), [("+491709876543", "dave@example.com")])
    rr = c.vault.must("quarantine", "retry", "--mapping", newcsv)
    f.check(re.search(r"filed 3\s+still quarantined 0", rr.out) is not None,
            "neither: quarantine retry --mapping NEW.csv files all three", rr.out.strip())
    f.equal(c.vault.quarantine(), [], "neither: quarantine is empty after the retry")
    f.equal(c.vault.mailboxes(), {"dave@example.com": 3}, "neither: the mailbox holds the filed items")
    listed = c.vault.ls("dave@example.com")
    f.equal(message_ids(listed), message_ids(held), "neither: ls lists exactly the items that were quarantined")
    for h in held:
        e = c.vault.run("show", h["message_id"], "--eml")
        ok = e.rc == 0 and f"Message-ID: <{h['message_id']}>" in e.out and "dave@example.com" in e.out
        f.check(ok, f"neither: show --eml {h['item']} after retry (its Message-ID, mapped to dave@)", e.describe())
        j = c.vault.show(h["item"])
        f.check(j.get("quarantined") in (False, None, 0) and j.get("mailboxes") == ["dave@example.com"],
                f"neither: show --json {h['item']} is filed to dave@, not quarantined", repr(j)[:400])
    v = c.vault.verify()
    f.check(v.rc == 0 and v.json().get("ok") is True, "neither: verify passes after the retry", v.describe())
    again = c.vault.import_json(src, "--tz", "UTC", "--mapping", newcsv)
    f.equal((again["total"]["new"], again["total"]["duplicate"]), (0, 3),
            "neither: re-import after the retry adds nothing")
    f.equal(c.vault.mailboxes(), {"dave@example.com": 3}, "neither: counts unchanged by the re-import")

    # --- bad-csv: refused with line numbers, the archive untouched ------------------------
    c = Case(exe, tmp, "bad-csv")
    src = team_chat().write(os.path.join(c.dir, "in"), "txt")
    good = write_csv(os.path.join(c.dir, "good.csv"), [(UK, "ext.trader@example.com")])
    c.vault.import_json(src, "--tz", "UTC", "--mapping", good)
    journal = os.path.join(c.vault.archive, "journal")
    before_journal = open(journal, "rb").read()
    before_boxes = c.vault.mailboxes()
    second = numbered_peer().write(os.path.join(c.dir, "in2"), "txt")
    bad = write_csv(os.path.join(c.dir, "bad.csv"), [
        ("+491709876543", "dave@example.com"),      # line 2: fine on its own
        ("+44 7700 900461", "a@example.com"),       # line 3: conflicts with line 6
        ("not-a-number", "y@example.com"),          # line 4: invalid number
        ("+49 170 9876544", "not-an-address"),      # line 5: invalid email
        ("+447700900461", "b@example.com"),         # line 6: conflicts with line 3
    ])
    r = c.vault.run("import", second, "--tz", "UTC", "--mapping", bad)
    f.equal(r.rc, 65, "bad-csv: import with a bad CSV exits 65")
    for line in (3, 4, 5, 6):
        f.check(re.search(rf"bad\.csv:{line}:", r.err) is not None, f"bad-csv: stderr names bad.csv:{line}:",
                r.err.strip()[-800:])
    f.check(re.search(r"bad\.csv:2:", r.err) is None, "bad-csv: the good line 2 is not blamed", r.err.strip()[-800:])
    f.equal(open(journal, "rb").read(), before_journal, "bad-csv: journal unchanged (nothing imported)")
    f.equal(c.vault.mailboxes(), before_boxes, "bad-csv: mailboxes unchanged")
    v = c.vault.verify()
    f.check(v.rc == 0 and v.json().get("items") == 5, "bad-csv: verify ok, still 5 items", v.describe())
    c.vault.import_json(second, "--tz", "UTC")  # three items into quarantine
    before_journal = open(journal, "rb").read()
    r = c.vault.run("quarantine", "retry", "--mapping", bad)
    f.equal(r.rc, 65, "bad-csv: quarantine retry with a bad CSV exits 65")
    f.check(re.search(r"bad\.csv:4:", r.err) is not None, "bad-csv: retry names bad.csv:4:", r.err.strip()[-400:])
    f.equal(len(c.vault.quarantine()), 3, "bad-csv: quarantine unchanged by the refused retry")
    f.equal(open(journal, "rb").read(), before_journal, "bad-csv: journal unchanged by the refused retry")
    dup = write_csv(os.path.join(c.dir, "dup.csv"), [(UK, "a@example.com"), ("+44 7700 900461", "a@example.com")])
    # An identical repeat is harmless (mapping.hpp: "reported once"): it must be named with its
    # line, and either refused (65) or skipped without changing what the mapping says.
    r = c.vault.run("import", second, "--tz", "UTC", "--mapping", dup)
    f.check(r.rc in (0, 65) and re.search(r"dup\.csv:3:", r.err) is not None,
            "bad-csv: a duplicate row is reported with its line (dup.csv:3:)", r.describe())

    # --- national: "0170 …" with and without --default-region -----------------------------
    c = Case(exe, tmp, "national")
    src = numbered_peer().write(os.path.join(c.dir, "in"), "txt")
    national = write_csv(os.path.join(c.dir, "national.csv"), [("0170 9876543", "dave@example.com"),
                                                              ("(0151) 123-45678", "alice@example.com")])
    r = c.vault.run("import", src, "--tz", "UTC", "--mapping", national)
    f.check(r.rc == 65 and re.search(r"national\.csv:2:", r.err) is not None,
            "national: national numbers without --default-region are refused (national.csv:2:)", r.describe())
    f.equal(c.vault.verify().json().get("items"), 0, "national: nothing imported by the refused run")
    rep = c.vault.import_json(src, "--tz", "UTC", "--mapping", national, "--default-region", "DE")
    f.equal(c.vault.mailboxes(), {"dave@example.com": 3},
            "national: '0170 9876543' with --default-region DE maps the +49 170 … author")
    f.equal(rep["total"]["quarantined"], 0, "national: nothing quarantined")
    c2 = Case(exe, tmp, "national-owner")
    src = one_to_one().write(os.path.join(c2.dir, "in"), "txt")
    c2.vault.import_json(src, "--tz", "UTC", "--mapping", national, "--default-region", "de",
                         "--owner", "0151 12345678=alice.owner@example.com")
    f.equal(c2.vault.mailboxes(), {"alice@example.com": 3},
            "national: national --owner number and CSV row meet in E.164; the CSV's address wins")


if __name__ == "__main__":
    sys.exit(main())
