#!/usr/bin/env python3
"""Check the phone-database readers against every database fact that public peers assert about
the corpus (../shared/corpus/expected.json, kinds db_message, db_contact, db_counts,
db_participants).

Usage:
    check_expected_db.py [--chatvault BUILD/chatvault] [--corpus CORPUS_DIR]

Runs `chatvault parse DB --format jsonl` (with the side databases the corpus holds beside
each message store) and `chatvault contacts DB --format jsonl` once per file, then checks every
db_* fact against that output. Prints "ok ID", "FAIL ID: …" or "deviation ID: …" per fact and a
last line "N passed, M failed, D deviations". Exit status 1 if anything failed, else 0; a
fact of an unknown kind or for a file this script does not know fails, so a new fact cannot be
skipped silently. Standard library only; the corpus is read in place.

How the peers' words map onto our output (the facts record each peer's own rendering):

IPED (Android msgstore.db, wa.db; sepinf-inc/IPED WhatsAppParserTest)
  * "messages._id" is our item's "row". order_in_chat = the item's position among the items of
    its chat in our output order (chat, then time, then row: IPED orders by time too).
  * body_as_rendered_by_peer: IPED prints system rows as "! CONSTANT"; each constant it uses
    here maps to our kind "system" with the text WhatsApp shows for it (SYSTEM_TEXT below).
    Any other body must equal our text.
  * from: "me" = from_me true; "system" = kind system; "NUMBER (Name)" = sender NUMBER whose
    display name is Name (the name comes from wa.db, given with --contacts).
  * group_subject = the chat's title; status 6 / media_size_action_code = a system row.
  * db_participants: the device owner and the peer are exactly the senders of the chat's
    non-system items; direction_of_first_three = the first three are from_me; the "Teste" row
    is not.
  * db_counts of msgstore.db: message_bodies_extracted = our items (the _id 1 sentinel row is
    not an item); chats_with_participants = distinct chats; private/group/broadcast by JID
    server; embedded_items_titles = IPED's items, one per message plus one per chat.
  * wa.db contacts: one contact per JID ("contacts"), "with_phone" = a phone JID. IPED's
    contacts_with_status_text counts records its SQLiteUndelete carves out of freed space as
    well (wa_contacts' pages 37–52 of this file hold deleted records in freeblocks); we read
    live rows only, so that one figure is reported as a deviation with both numbers.
  * db_contact "order" is IPED's own item order; contacts are looked up by JID. display_name
    falls back to the number when the address book has no name (IPED's note). IPED's test
    reads status_text as the k-th status of its items with the null ones skipped, so the
    statuses of the facts' contacts (in their order, nulls dropped) must equal the facts'
    status_text values in order; the last fact's status belongs to IPED's next contact and
    must be the status of some contact.

Memacs (a hand-made legacy msgstore.db): key_remote_jid is our chat, key_from_me our from_me,
  timestamp_ms/utc our utc (we print whole seconds: the fact's instant is truncated), the minute
  is the UTC minute; number_rendered_by_peer is "00" + our sender. local_date is Memacs' local
  rendering and is not checked.

iLEAPP (iOS ChatStorage.sqlite + ContactsV2.sqlite + CallHistory.sqlite; its test's JSON)
  * A row is found by unix_seconds (our utc) and its chat: from_jid when the row is incoming,
    to_jid when outgoing ("Local User" is the owner). "text": null = our item has no text (a
    system row, a media item or a location).
  * sender_name / receiver: iLEAPP names a group row by the group, a 1:1 row by the partner:
    the side that is not "Local User" must be our chat's title; "Local User" is the owner,
    i.e. from_me true when it is the sender.
  * attachment_file_as_reported: iLEAPP's harness rewrites the name ("mock_hash_for_…"), so the
    check is that our item has an attachment of the same file extension.
  * latitude/longitude: our location's, compared numerically.
  * db_counts: ZWAMESSAGE_rows / message_rows_reported = our items of ChatStorage without
    --call-history. "columns" is iLEAPP's report shape and is not checked.
  * ContactsV2 db_contact: looked up by identifier + phone as written; full_name, about_text,
    about_unix, phone (as written), phone_label ("Mobile": Apple's "_$!<Mobile>!$_"), jid.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys

IPED_MSGSTORE = "IPED/test-files/test_whatsAppMsgStore.db"
IPED_WADB = "IPED/test-files/test_whatsApp.db"
MEMACS = "Memacs/memacs/tests/data/msgstore.db"
IOS_DIR = "iLEAPP/josh_ios15_ffs/AppGroup"
IOS_CHATS = IOS_DIR + "/ChatStorage.sqlite"
IOS_CONTACTS = IOS_DIR + "/ContactsV2.sqlite"
IOS_CALLS = IOS_DIR + "/CallHistory.sqlite"

# IPED's "! CONSTANT" rendering of a system row → a phrase our text for it contains.
SYSTEM_TEXT = {
    "! MESSAGES_NOW_ENCRYPTED": "end-to-end encrypted",
    "! USER_ADDED_TO_GROUP": "was added",
}


class Fail(Exception):
    pass


class Deviation(Exception):
    pass


def utc_of(item: dict) -> str:
    return item["utc"]


def iso_seconds(unix: int) -> str:
    return dt.datetime.fromtimestamp(unix, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def truncate_to_seconds(iso: str) -> str:
    """'2016-10-15T18:18:55.242Z' → '2016-10-15T18:18:55Z'."""
    return iso.split(".")[0].rstrip("Z") + "Z"


def brief(item: dict | None) -> str:
    if item is None:
        return "no item"
    keep = {k: item.get(k) for k in ("row", "kind", "author", "utc", "text", "chat", "chat_title", "from_me",
                                     "sender") if k in item}
    return json.dumps(keep, ensure_ascii=False)


class Cli:
    def __init__(self, exe: str, corpus: str):
        self.exe = exe
        self.corpus = corpus
        self.cache: dict[tuple, list[dict]] = {}

    def path(self, rel: str) -> str:
        p = os.path.join(self.corpus, rel)
        if not os.path.exists(p):
            raise Fail(f"corpus file missing: {p}")
        return p

    def run(self, *args: str) -> list[dict]:
        if args not in self.cache:
            p = subprocess.run([self.exe, *args], capture_output=True, timeout=300)
            if p.returncode != 0:
                raise Fail(f"`chatvault {' '.join(args)}` exited {p.returncode}: {p.stderr.decode()[:400]}")
            self.cache[args] = [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]
        return self.cache[args]

    def iped_items(self) -> list[dict]:
        return self.run("parse", self.path(IPED_MSGSTORE), "--contacts", self.path(IPED_WADB), "--tz", "UTC",
                        "--format", "jsonl")

    def memacs_items(self) -> list[dict]:
        return self.run("parse", self.path(MEMACS), "--tz", "UTC", "--format", "jsonl")

    def ios_items(self, with_calls: bool = True) -> list[dict]:
        extra = ("--call-history", self.path(IOS_CALLS)) if with_calls else ()
        return self.run("parse", self.path(IOS_CHATS), "--contacts", self.path(IOS_CONTACTS), *extra, "--tz",
                        "UTC", "--format", "jsonl")

    def contacts(self, rel: str) -> list[dict]:
        return self.run("contacts", self.path(rel), "--format", "jsonl")


def expect(what: str, got, want):
    if got != want:
        raise Fail(f"{what}: expected {json.dumps(want, ensure_ascii=False)}, got {json.dumps(got, ensure_ascii=False)}")


def by_row(items: list[dict], row: int) -> dict:
    found = [i for i in items if i.get("row") == row and i.get("kind") != "call"]
    if len(found) != 1:
        raise Fail(f"expected one item of row {row}, found {len(found)}")
    return found[0]


def check_body(item: dict, body: str):
    if body in SYSTEM_TEXT:
        expect("kind", item["kind"], "system")
        if SYSTEM_TEXT[body] not in item["text"]:
            raise Fail(f"system text {item['text']!r} does not say {SYSTEM_TEXT[body]!r} ({body})")
    elif body.startswith("! "):
        raise Fail(f"no mapping for IPED's system rendering {body!r}: add it to SYSTEM_TEXT")
    else:
        expect("text", item["text"], body)


def check_from(item: dict, who: str):
    if who == "me":
        expect("from_me", item.get("from_me"), True)
    elif who == "system":
        expect("kind", item["kind"], "system")
    else:
        number, _, rest = who.partition(" (")
        expect("sender", item.get("sender"), number)
        expect("author", item.get("author"), rest.rstrip(")"))
        expect("from_me", item.get("from_me"), False)


# --------------------------------------------------------------------------------------
# IPED


def iped_message(cli: Cli, fact: dict):
    v = fact["values"]
    items = cli.iped_items()
    item = by_row(items, v["messages._id"])
    expect("chat", item.get("chat"), v["chat_jid"])
    expect("utc", utc_of(item), v["utc"])
    check_body(item, v["body_as_rendered_by_peer"])
    if "from" in v:
        check_from(item, v["from"])
    if "order_in_chat" in v:
        in_chat = [i for i in items if i.get("chat") == v["chat_jid"]]
        expect("position in chat", in_chat.index(item), v["order_in_chat"])
    if "group_subject" in v:
        expect("chat title", item.get("chat_title"), v["group_subject"])
    if v.get("status") == 6:
        expect("kind (status 6 is a system row)", item["kind"], "system")


def iped_participants(cli: Cli, fact: dict):
    v = fact["values"]
    chat = [i for i in cli.iped_items() if i.get("chat") == v["chat_jid"] and i["kind"] != "system"]
    peer_number = v["chat_jid"].split("@")[0]
    want = set()
    for p in v["participants"]:
        if p.startswith("device owner"):
            want.add("owner")
        else:
            name, _, number = p.partition(" (")
            number = number.rstrip(")")
            expect("participant number is the chat's", number, peer_number)
            names = {i["author"] for i in chat if i.get("sender") == number}
            expect(f"name of {number}", names, {name})
            want.add(number)
    expect("senders", {i.get("sender") for i in chat}, want)
    if v.get("direction_of_first_three") == "outgoing":
        expect("first three from_me", [i.get("from_me") for i in chat[:3]], [True, True, True])
    if v.get("direction_of_Teste") == "incoming":
        teste = [i for i in chat if i["text"] == "Teste"]
        expect("'Teste' from_me", [i.get("from_me") for i in teste], [False])


def iped_counts(cli: Cli, fact: dict):
    v = fact["values"]
    if fact["file"] == IPED_MSGSTORE:
        items = cli.iped_items()
        chats = {i["chat"] for i in items}
        expect("items", len(items), v["message_bodies_extracted"])
        expect("chats", len(chats), v["chats_with_participants"])
        expect("private chats", sum(c.endswith("@s.whatsapp.net") for c in chats), v["private_chats"])
        expect("group chats", sum(c.endswith("@g.us") for c in chats), v["group_chats"])
        expect("broadcast chats", sum(c.endswith("@broadcast") for c in chats), v["broadcast_chats"])
        expect("IPED items (messages + chats)", len(items) + len(chats), v["embedded_items_titles"])
        return
    contacts = cli.contacts(IPED_WADB)
    expect("contacts", len(contacts), v["contacts"])
    expect("contacts with a phone", sum(1 for c in contacts if c["phone"]), v["contacts_with_phone"])
    with_status = sum(1 for c in contacts if c["about"])
    if with_status != v["contacts_with_status_text"]:
        raise Deviation(f"contacts with a status: IPED {v['contacts_with_status_text']} (with records it carves "
                        f"from freed pages), live rows {with_status}")


def iped_contacts(cli: Cli, facts: list[dict], report):
    """All of IPED's wa.db contact facts at once: the status pairing spans them."""
    contacts = {c["jid"]: c for c in cli.contacts(IPED_WADB)}
    facts = sorted(facts, key=lambda f: f["values"]["order"])
    ours = []
    for f in facts:
        v = f["values"]
        try:
            c = contacts.get(v["jid"])
            if c is None:
                raise Fail(f"no contact with JID {v['jid']}")
            expect("phone", c["phone"], v["phone"])
            shown = c["name"] if c["name"] else c["phone"].lstrip("+")
            expect("display name", shown, v["display_name"])
            ours.append(c["about"])
            report(f["id"], None)
        except Fail as e:
            ours.append(None)
            report(f["id"], e)
    # The status pairing, checked once over the facts (reported under the last fact's id).
    statuses = [s for s in ours if s]
    want = [f["values"]["status_text"] for f in facts]
    last = facts[-1]["id"] + ".status_text"
    try:
        expect("statuses of these contacts, nulls skipped", statuses, want[: len(statuses)])
        rest = want[len(statuses):]
        all_about = {c["about"] for c in contacts.values() if c["about"]}
        for s in rest:
            if s not in all_about:
                raise Fail(f"status {s!r} is no contact's")
        report(last, None)
    except Fail as e:
        report(last, e)


# --------------------------------------------------------------------------------------
# Memacs


def memacs_message(cli: Cli, fact: dict):
    v = fact["values"]
    items = cli.memacs_items()
    expect("items", len(items), 1)
    item = items[0]
    expect("chat", item.get("chat"), v["key_remote_jid"])
    expect("from_me", item.get("from_me"), bool(v["key_from_me"]))
    expect("direction", "OUTGOING" if item.get("from_me") else "INCOMING", v["direction"])
    expect("text", item["text"], v["text"])
    expect("utc", utc_of(item), truncate_to_seconds(v["utc"]))
    expect("utc from timestamp_ms", utc_of(item), iso_seconds(v["timestamp_ms"] // 1000))
    expect("minute", int(utc_of(item)[14:16]), v["minute"])
    expect("number as Memacs prints it", "00" + (item.get("sender") or ""), v["number_rendered_by_peer"])


# --------------------------------------------------------------------------------------
# iLEAPP


def ios_message(cli: Cli, fact: dict, claimed: set):
    v = fact["values"]
    outgoing = v["sender_name"] == "Local User"
    chat_jid = v["to_jid"] if outgoing else v["from_jid"]
    partner = v["receiver"] if outgoing else v["sender_name"]
    when = iso_seconds(v["unix_seconds"])
    found = [i for i in cli.ios_items() if i["utc"] == when and i.get("chat") == chat_jid and i["kind"] != "call"]
    if v["text"] is not None:
        found = [i for i in found if i["text"] == v["text"]]
    else:
        # No WhatsApp text: a system row, a media item or a location. Several rows of a group
        # share a second (created, joined, encrypted): each fact claims one of them.
        found = [i for i in found if i["kind"] == "system" or i["attachments"] or i.get("location")]
    free = [i for i in found if i["row"] not in claimed]
    if not free:
        raise Fail(f"no unclaimed item at {when} in {chat_jid} (candidates: "
                   + ("; ".join(brief(i) for i in found) or "none") + ")")
    item = free[0]
    claimed.add(item["row"])
    expect("chat title", item.get("chat_title"), partner)
    expect("from_me", item.get("from_me"), outgoing)
    if not outgoing and item["kind"] != "system" and chat_jid.endswith("@s.whatsapp.net"):
        expect("sender", item.get("sender"), chat_jid.split("@")[0])
    if "attachment_file_as_reported" in v:
        ext = os.path.splitext(v["attachment_file_as_reported"])[1].lower()
        names = [a["name"] for a in item["attachments"]]
        if not any(n.lower().endswith(ext) for n in names):
            raise Fail(f"no {ext} attachment: {names}")
    if "latitude" in v:
        loc = item.get("location") or {}
        for key in ("latitude", "longitude"):
            if loc.get(key) is None or abs(float(loc[key]) - v[key]) > 1e-9:
                raise Fail(f"{key}: expected {v[key]}, got {loc.get(key)}")


def ios_counts(cli: Cli, fact: dict):
    v = fact["values"]
    items = cli.ios_items(with_calls=False)
    expect("items of ChatStorage", len(items), v["ZWAMESSAGE_rows"])
    expect("rows iLEAPP reports", len(items), v["message_rows_reported"])
    expect("distinct rows", len({i["row"] for i in items}), v["ZWAMESSAGE_rows"])


def ios_contact(cli: Cli, fact: dict):
    v = fact["values"]
    found = [c for c in cli.contacts(IOS_CONTACTS)
             if c["contact_id"] == v["identifier"] and c["number"] == v["phone"]]
    if len(found) != 1:
        raise Fail(f"expected one contact {v['identifier']} with number {v['phone']!r}, found {len(found)}")
    c = found[0]
    expect("name", c["name"], v["full_name"])
    expect("about", c["about"], v["about_text"])
    expect("about time", c["about_utc"], iso_seconds(v["about_unix"]) if v["about_unix"] is not None else None)
    expect("label", c["label"] or "", v["phone_label"])
    expect("jid", c["jid"], v["jid"])


# --------------------------------------------------------------------------------------


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chatvault", default=os.path.join(root, "build", "chatvault"))
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(root), "shared", "corpus"))
    args = ap.parse_args()

    with open(os.path.join(args.corpus, "expected.json"), encoding="utf-8") as f:
        facts = [a for a in json.load(f)["assertions"] if a.get("kind", "").startswith("db_")]
    cli = Cli(args.chatvault, args.corpus)
    passed = failed = deviations = 0

    def report(fid: str, problem: Exception | None):
        nonlocal passed, failed, deviations
        if problem is None:
            print(f"ok {fid}")
            passed += 1
        elif isinstance(problem, Deviation):
            print(f"deviation {fid}: {problem}")
            deviations += 1
        else:
            print(f"FAIL {fid}: {problem}")
            failed += 1

    handlers = {
        (IPED_MSGSTORE, "db_message"): iped_message,
        (IPED_MSGSTORE, "db_participants"): iped_participants,
        (IPED_MSGSTORE, "db_counts"): iped_counts,
        (IPED_WADB, "db_counts"): iped_counts,
        (MEMACS, "db_message"): memacs_message,
        (IOS_CHATS, "db_message"): lambda cli, fact: ios_message(cli, fact, ios_claimed),
        (IOS_CHATS, "db_counts"): ios_counts,
        (IOS_CONTACTS, "db_contact"): ios_contact,
    }
    ios_claimed: set = set()
    iped_contact_facts = [f for f in facts if (f["file"], f["kind"]) == (IPED_WADB, "db_contact")]
    for fact in facts:
        if fact in iped_contact_facts:
            continue
        handler = handlers.get((fact["file"], fact["kind"]))
        try:
            if handler is None:
                raise Fail(f"no check for a {fact['kind']} fact about {fact['file']}: teach this script")
            handler(cli, fact)
            report(fact["id"], None)
        except (Fail, Deviation) as e:
            report(fact["id"], e)
    if iped_contact_facts:
        try:
            iped_contacts(cli, iped_contact_facts, report)
        except Fail as e:
            report("iped wa.db contacts", e)

    print(f"{passed} passed, {failed} failed, {deviations} deviations ({len(facts)} database facts; the "
          "status pairing of IPED's contacts is one check of its own)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
