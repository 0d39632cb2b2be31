#!/usr/bin/env python3
"""Generate a synthetic WhatsApp "Export chat" text file for benchmarks.

    gen_export.py --family android|ios --messages N [--seed S] [--clock 24h|12h] OUT.txt

The output looks like a real group-chat export of the chosen platform family:

  android  "23/03/2022, 13:31 - Anna Schmidt: text"       LF line ends, day-first dates
           "23/03/2022, 1:55<U+202F>PM - Ben: text"        with --clock 12h
  ios      "[3/27/22, 21:41:35] Anna Schmidt: text"        CRLF line ends, month-first dates
           "[3/27/22, 9:41:35<U+202F>PM] Ben: text"        with --clock 12h
           "<LRM>[3/27/22, 21:41:35] Ben: <LRM>image omitted"   media lines

Content mix: a handful of authors (accents, CJK, emoji with ZWJ, phone numbers with NBSP,
iOS phone numbers wrapped in U+202A/U+202C), bodies averaging about 80 bytes per message
including the header and line end, 5% of messages spanning 2-4 lines, media placeholders and
attachments, deleted and edited messages, links, locations, missed calls, and system lines
(some without an author). Times increase monotonically over about --span-days days whatever N
is, so a larger N only packs messages closer together. Output is a pure function of the
arguments: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import datetime as dt
import os
import random
import sys

NBSP = "\u00a0"
NNBSP = "\u202f"
LRM = "\u200e"
LRE = "\u202a"
PDF = "\u202c"

GROUP_NAME = "Familie & Friends 🏡"

# (display name, weight). Phone numbers use NBSP between groups as WhatsApp writes them.
AUTHORS = [
    ("Anna Schmidt", 22),
    ("Ben", 18),
    ("José Álvarez", 12),
    ("Zoë 🌸", 10),
    ("+49" + NBSP + "170" + NBSP + "1234567", 9),
    ("李雷", 7),
    ("Mama ❤️", 8),
    ("Priya 👩\u200d💻", 6),
    ("+44" + NBSP + "7700" + NBSP + "900123", 4),
    ("Chloé-Marie O'Neill", 4),
]

WORDS_EN = (
    "the a to and you I it is that for on in we are be at have this not with so just but "
    "what can do was will if me get my all your know like one there up out now go time "
    "today tomorrow tonight morning dinner lunch later soon ok okay yes no maybe sure thanks "
    "please sorry great nice cool love home work train bus car station meeting call photo "
    "weekend party birthday kids school game match holiday flight hotel beach weather rain "
    "sunny cold coffee tea pizza pasta bread milk shopping list store open closed back late "
    "early again still really very much more less where when why how who which remember "
    "forgot picked bought booked cancelled arrived leaving waiting coming running"
).split()
WORDS_INTL = (
    "café naïve déjà-vu über schön Grüße Straße Mädchen größer München jalapeño mañana "
    "señor niño acción corazón façade crème brûlée garçon élève Ærø smørrebrød Kraków "
    "Łódź żółć Ελλάδα привет спасибо δεν São Paulo coração ação"
).split()
CJK = ["你好", "谢谢", "明天见", "没问题", "こんにちは", "ありがとう", "大丈夫", "안녕하세요", "감사합니다", "好的"]
EMOJI = [
    "😂", "👍", "❤️", "🙏", "😊", "🎉", "😅", "🔥", "👍🏽", "🤦\u200d♂️", "👨\u200d👩\u200d👧\u200d👦",
    "👩\u200d💻", "🏳️\u200d🌈", "🧑🏿\u200d🍳", "🙈", "😭", "✨", "🚗", "☕", "🍕",
]
SHORT = ["ok", "Ok 👍", "yes", "no", "lol", "haha 😂", "thanks!", "Danke 🙏", "👍", "❤️", "sure",
         "omw", "on my way", "😂😂😂", "gracias", "merci", "好的", "k", "see you", "👍🏽"]
DOMAINS = ["https://www.example.com/article/", "https://youtu.be/", "https://maps.app.goo.gl/",
           "https://de.wikipedia.org/wiki/", "https://github.com/chatvault/issues/"]

ANDROID_SYSTEM = [
    "{a} added {b}",
    "{a} left",
    "{a} removed {b}",
    "{a} changed this group's icon",
    "{a} changed the subject from \"Family\" to \"" + GROUP_NAME + "\"",
    "{a} joined using this group's invite link",
    "Your security code with {a} changed. Tap to learn more.",
    "{a} changed their phone number to a new number. Tap to message or add the new number.",
]
IOS_SYSTEM = [
    "{a} added {b}",
    "{a} left",
    "{a} removed {b}",
    "{a} changed the group photo",
    "{a} changed the group name to \u201c" + GROUP_NAME + "\u201d",
    "{a} joined using this group\u2019s invite link",
    "Your security code with {a} changed. Tap for more info.",
]
E2E_ANDROID = ("Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
               "WhatsApp, can read or listen to them. Tap to learn more.")
E2E_IOS = ("Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
           "WhatsApp, can read or listen to them.")


def build_text_pool(rng: random.Random, size: int) -> list[str]:
    """Single-line text bodies with a realistic, skewed length distribution."""
    pool = []
    for _ in range(size):
        r = rng.random()
        if r < 0.22:
            pool.append(rng.choice(SHORT))
            continue
        if r < 0.72:
            n = rng.randint(3, 8)
        elif r < 0.95:
            n = rng.randint(8, 16)
        else:
            n = rng.randint(16, 40)
        words = []
        for _ in range(n):
            q = rng.random()
            if q < 0.86:
                words.append(rng.choice(WORDS_EN))
            elif q < 0.95:
                words.append(rng.choice(WORDS_INTL))
            elif q < 0.98:
                words.append(rng.choice(CJK))
            else:
                words.append(str(rng.randint(1, 999)))
        words[0] = words[0][:1].upper() + words[0][1:]
        s = " ".join(words)
        q = rng.random()
        if q < 0.25:
            s += rng.choice(("?", "!", ".", "..."))
        elif q < 0.45:
            s += " " + rng.choice(EMOJI)
        elif q < 0.50:
            s += " " + rng.choice(EMOJI) + rng.choice(EMOJI)
        pool.append(s)
    return pool


def clock_tables(clock12: bool) -> list[str]:
    """hh:mm text for every minute of the day."""
    out = []
    for m in range(1440):
        h, mi = divmod(m, 60)
        if clock12:
            h12 = h % 12 or 12
            out.append(f"{h12}:{mi:02d}" + ("\x00AM" if h < 12 else "\x00PM"))
        else:
            out.append(f"{h:02d}:{mi:02d}")
    return out


def generate(out, family: str, n: int, seed: int, clock12: bool, span_days: float) -> int:
    rng = random.Random(seed)
    ios = family == "ios"
    eol = "\r\n" if ios else "\n"
    pool = build_text_pool(rng, 1 << 16)
    multi_pool = [s for s in pool if 2 < len(s) < 60]  # continuation lines

    names = [a for a, _ in AUTHORS]
    weights = [w for _, w in AUTHORS]
    if ios:  # iOS wraps phone numbers in LEFT-TO-RIGHT EMBEDDING ... POP DIRECTIONAL FORMATTING
        shown = [LRE + a + PDF if a.startswith("+") else a for a in names]
    else:
        shown = names
    author_prefix = [a + ": " for a in shown]

    hm = clock_tables(clock12)
    secs = [f"{s:02d}" for s in range(60)]
    if clock12:
        # "1:55 PM" with the NARROW NO-BREAK SPACE that current exports write
        hm = [t.replace("\x00", NNBSP) for t in hm]

    # Gap between messages: mostly a burst of seconds, sometimes minutes, rarely hours.
    # The mixture has mean ~0.76 units; scale so that n messages cover span_days.
    unit = span_days * 86400.0 / max(n, 1) / 0.76
    t = float(dt.datetime(2019, 1, 7, 8, 3, 0, tzinfo=dt.timezone.utc).timestamp())
    epoch_day0 = dt.date(1970, 1, 1).toordinal()

    cur_day = -1
    date_s = ""
    parts: list[str] = []
    total = 0
    rand = rng.random
    choice = rng.choice
    cum_w = list(itertools.accumulate(weights))
    tot_w = cum_w[-1]
    bisect_right = bisect.bisect_right

    def media_body(day_date: dt.date, sec_of_day: int, k: int) -> str:
        stamp = f"{day_date:%Y-%m-%d}-{sec_of_day // 3600:02d}-{sec_of_day // 60 % 60:02d}-{sec_of_day % 60:02d}"
        if ios:
            r = rand()
            if r < 0.55:
                return LRM + choice(("image omitted", "image omitted", "video omitted", "audio omitted",
                                     "sticker omitted", "GIF omitted", "Contact card omitted"))
            if r < 0.90:
                kind = choice(("PHOTO", "PHOTO", "VIDEO", "AUDIO", "STICKER"))
                ext = {"PHOTO": "jpg", "VIDEO": "mp4", "AUDIO": "opus", "STICKER": "webp"}[kind]
                return f"{LRM}<attached: {k:08d}-{kind}-{stamp}.{ext}>"
            return f"Menu.pdf • 2 pages {LRM}document omitted"
        r = rand()
        if r < 0.6:
            return "<Media omitted>"
        d = f"{day_date:%Y%m%d}"
        kind = choice(("IMG", "IMG", "VID", "PTT", "STK", "DOC"))
        ext = {"IMG": "jpg", "VID": "mp4", "PTT": "opus", "STK": "webp", "DOC": "pdf"}[kind]
        return f"{LRM}{kind}-{d}-WA{k % 10000:04d}.{ext} (file attached)"

    media_k = 0
    for i in range(n):
        if i:
            r = rand()
            if r < 0.85:
                g = 0.3 * rand()
            elif r < 0.99:
                g = 0.3 + 2.7 * rand()
            else:
                g = 10.0 + 60.0 * rand()
            t += g * unit
        it = int(t)
        day, sod = divmod(it, 86400)
        if day != cur_day:
            cur_day = day
            day_date = dt.date.fromordinal(epoch_day0 + day)
            if ios:
                date_s = f"{day_date.month}/{day_date.day}/{day_date.year % 100:02d}"
            else:
                date_s = f"{day_date.day:02d}/{day_date.month:02d}/{day_date.year}"
        if ios:
            tm = hm[sod // 60]
            if clock12:
                hmpart, ampm = tm.split(NNBSP)
                head = f"[{date_s}, {hmpart}:{secs[sod % 60]}{NNBSP}{ampm}] "
            else:
                head = f"[{date_s}, {tm}:{secs[sod % 60]}] "
        else:
            head = f"{date_s}, {hm[sod // 60]} - "

        if i == 0:  # the encryption notice opens every export
            if ios:
                parts.append(head + GROUP_NAME + ": " + LRM + E2E_IOS + eol)
            else:
                parts.append(head + E2E_ANDROID + eol)
            continue

        a = bisect_right(cum_w, rand() * tot_w)
        r = rand()
        if r < 0.905:  # plain text, 5% of all messages multi-line
            body = choice(pool)
            if rand() < 0.0553:  # 0.0553 * 0.905 ≈ 0.05
                extra = rng.randint(1, 3)
                body = eol.join([body] + [choice(multi_pool) for _ in range(extra)])
            elif rand() < 0.012:
                body += (" " + LRM + "<This message was edited>") if ios else " <This message was edited>"
            line = head + author_prefix[a] + body
        elif r < 0.955:  # media
            media_k += 1
            line = head + author_prefix[a] + media_body(day_date, sod, media_k)
            if ios:
                line = LRM + line
        elif r < 0.970:  # link
            line = head + author_prefix[a] + choice(("Look: ", "", "haha ", "")) + choice(DOMAINS) + \
                f"{rng.getrandbits(40):x}"
        elif r < 0.980:  # deleted
            if ios:
                line = LRM + head + author_prefix[a] + LRM + choice(("This message was deleted.",
                                                                      "You deleted this message."))
            else:
                line = head + author_prefix[a] + choice(("This message was deleted", "You deleted this message"))
        elif r < 0.985:  # location
            lat = 48.0 + rand() * 5
            lon = 8.0 + rand() * 6
            if ios:
                line = LRM + head + author_prefix[a] + f"{LRM}Location: https://maps.google.com/?q={lat:.6f},{lon:.6f}"
            else:
                line = head + author_prefix[a] + f"location: https://maps.google.com/?q={lat:.6f},{lon:.6f}"
        elif r < 0.990:  # missed call
            call = choice(("Missed voice call", "Missed video call"))
            if ios:
                line = LRM + head + author_prefix[a] + LRM + call + ". " + LRM + "Tap to call back"
            else:
                line = head + author_prefix[a] + call
        else:  # system line
            b = bisect_right(cum_w, rand() * tot_w)
            if ios:
                text = choice(IOS_SYSTEM).format(a=shown[a], b=shown[b])
                if rand() < 0.5:
                    line = head + GROUP_NAME + ": " + LRM + text
                else:  # no author at all
                    line = LRM + head + LRM + text
            else:
                line = head + choice(ANDROID_SYSTEM).format(a=names[a], b=names[b])
        parts.append(line + eol)

        if len(parts) >= 16384:
            data = "".join(parts).encode("utf-8")
            out.write(data)
            total += len(data)
            parts.clear()
    if parts:
        data = "".join(parts).encode("utf-8")
        out.write(data)
        total += len(data)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", choices=("android", "ios"), required=True)
    ap.add_argument("--messages", type=int, required=True, help="number of messages (headers)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clock", choices=("24h", "12h"), default="24h")
    ap.add_argument("--span-days", type=float, default=5 * 365.0,
                    help="time the messages cover, whatever their number (default 5 years)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    ap.add_argument("out", help="output .txt path ('-' for stdout)")
    args = ap.parse_args(argv)
    if args.messages < 1:
        ap.error("--messages must be at least 1")

    if args.out == "-":
        total = generate(sys.stdout.buffer, args.family, args.messages, args.seed,
                         args.clock == "12h", args.span_days)
        sys.stdout.buffer.flush()
    else:
        tmp = args.out + ".tmp"
        with open(tmp, "wb", buffering=1 << 22) as f:
            total = generate(f, args.family, args.messages, args.seed, args.clock == "12h", args.span_days)
        os.replace(tmp, args.out)  # readers never see a half-written file
    if not args.quiet:
        print(f"{args.out}: {args.family} {args.clock}, {args.messages} messages, {total} bytes, "
              f"{total / args.messages:.1f} bytes/message", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
