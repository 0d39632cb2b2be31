#!/usr/bin/env python3
"""Phone-database read benchmark: `chatvault parse msgstore.db --format summary|jsonl` on a
generated modern-schema Android msgstore.db of --messages rows, as a whole process: rows/s and
peak RSS. See bench/README.md.

    db_throughput.py [--chatvault build/chatvault] [--messages 1000000] [--chats 200]
                     [--schema ../shared/corpus/whatsapp-viewer/data/msgstore.db.schema.sql] [--keep DIR]

The schema is whatsapp-viewer's msgstore.db DDL, read in place from the shared corpus (never
copied here); rows are generated: 1:1 and group chats, ~60-byte texts with accents and emoji,
group senders, 2% replies. Time includes copying the database to a private snapshot (the
reader never reads the original in place). Exit 0 whatever the numbers; 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from benchlib import run_measured  # noqa: E402

WORDS = ["Termin", "morgen", "café", "résumé", "👍", "ok", "Zoë", "Straße", "price", "report", "😂", "der",
         "Vertrag", "signed", "申请", "meeting", "at", "10:30", "please", "confirm"]


def build(path: Path, schema: Path, messages: int, chats: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.executescript(schema.read_text(encoding="utf-8"))
    people = [f"49151{n:07d}" for n in range(chats + 20)]
    cur = con.cursor()
    for user in people:
        cur.execute("INSERT INTO jid(user, server, type, raw_string) VALUES(?, 's.whatsapp.net', 0, ?)",
                    (user, user + "@s.whatsapp.net"))
    for c in range(chats):
        group = c % 5 == 0
        if group:
            cur.execute("INSERT INTO jid(user, server, type, raw_string) VALUES(?, 'g.us', 1, ?)",
                        (f"1203630{c:011d}", f"1203630{c:011d}@g.us"))
            jid_row = cur.lastrowid
            subject = f"Desk {c} ✦"
        else:
            jid_row = c + 1
            subject = None
        cur.execute("INSERT INTO chat(jid_row_id, subject, hidden) VALUES(?, ?, 0)", (jid_row, subject))
    t = 1_600_000_000_000
    rows = []
    for i in range(messages):
        chat = rng.randrange(chats) + 1
        from_me = 1 if rng.random() < 0.4 else 0
        sender = 0 if from_me or chat % 5 != 1 else rng.randrange(len(people)) + 1
        t += rng.randrange(1, 90_000)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 12)))
        rows.append((chat, from_me, f"{rng.getrandbits(128):032X}", sender, t, t, 0, text, i + 1))
        if len(rows) == 50_000:
            cur.executemany("INSERT INTO message(chat_row_id, from_me, key_id, sender_jid_row_id, timestamp, "
                            "received_timestamp, message_type, text_data, sort_id) VALUES(?,?,?,?,?,?,?,?,?)", rows)
            rows.clear()
    if rows:
        cur.executemany("INSERT INTO message(chat_row_id, from_me, key_id, sender_jid_row_id, timestamp, "
                        "received_timestamp, message_type, text_data, sort_id) VALUES(?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chatvault", default="build/chatvault")
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--chats", type=int, default=200)
    ap.add_argument("--schema", default=str(HERE.parent.parent / "shared" / "corpus" / "whatsapp-viewer" / "data" /
                                            "msgstore.db.schema.sql"))
    ap.add_argument("--keep", help="folder for the generated database (reused)")
    ap.add_argument("--cpu", default="0")
    a = ap.parse_args()
    chatvault = os.path.abspath(a.chatvault)
    schema = Path(a.schema)
    if not os.access(chatvault, os.X_OK) or not schema.exists():
        print(f"db_throughput: needs {chatvault} and the schema at {schema}", file=sys.stderr)
        return 2
    keep_ctx = tempfile.TemporaryDirectory() if not a.keep else None
    keep = Path(a.keep or keep_ctx.name)
    keep.mkdir(parents=True, exist_ok=True)
    db = keep / f"msgstore-{a.messages}-{a.chats}.db"
    try:
        if not db.exists():
            build(db, schema, a.messages, a.chats)
        size = db.stat().st_size
        print(f"{'format':<8} {'rows':>9} {'DB MB':>7} {'wall s':>7} {'rows/s':>9} {'RSS MiB':>8}")
        for fmt in ("summary", "jsonl"):
            wall, rss, out = run_measured([chatvault, "parse", str(db), "--format", fmt], a.cpu or None)
            if fmt == "jsonl":
                rows = out.count("\n")
            else:
                rows = a.messages
            print(f"{fmt:<8} {rows:>9} {size / 1e6:>7.1f} {wall:>7.2f} {rows / wall:>9.0f} {rss / 1024:>8.1f}")
    except (RuntimeError, sqlite3.Error, OSError) as e:
        print(f"db_throughput: {e}", file=sys.stderr)
        return 2
    finally:
        if keep_ctx:
            keep_ctx.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
