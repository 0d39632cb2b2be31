"""Shared helpers of the render tests: read an .eml with Python's `email` package
(policy.default) and report every defect it finds, plus the line rules of RFC 5322.

Standard library only.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import re

MAX_LINE = 998

_ENCODED_WORD = r"=\?[^?\s]+\?[QqBb]\?[^?\s]*\?="
_MULTI_EW_PHRASE = re.compile(rf"^\s*(?:{_ENCODED_WORD}\s*){{2,}}$")


def line_problems(data: bytes) -> list[str]:
    """Every line ends in CRLF (none in a bare CR or LF, the last one too) and holds at most
    998 octets."""
    errs = []
    lines = data.split(b"\r\n")
    if lines and lines[-1] != b"":
        errs.append("does not end in CRLF")
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            errs.append(f"line {n} is {len(line)} octets long (> {MAX_LINE})")
        if b"\n" in line:
            errs.append(f"line {n} holds a bare LF")
        if b"\r" in line:
            errs.append(f"line {n} holds a bare CR")
        if len(errs) > 3:
            break
    return errs


def defects(msg) -> list[str]:
    """The defects of the message, of every part and of every header of every part."""
    out = []
    for k, part in enumerate(msg.walk()):
        where = "message" if k == 0 else f"part {k} ({part.get_content_type()})"
        for d in part.defects:
            out.append(f"{where}: {type(d).__name__}: {d}")
        for name, value in part.items():
            for d in getattr(value, "defects", ()):
                out.append(f"{where} header {name}: {type(d).__name__}: {d}")
    return out


def parse(data: bytes):
    """(message or None, problems): line rules, then every defect policy.default reports."""
    errs = line_problems(data)
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        errs += defects(msg)
    except Exception as e:  # a parser crash is a defect too
        return None, errs + [f"email parser raised {type(e).__name__}: {e}"]
    return msg, errs


def load(path: str):
    with open(path, "rb") as f:
        return parse(f.read())


def header_str(msg, name: str) -> str | None:
    v = msg.get(name)
    return None if v is None else str(v)


def plain_body(msg) -> str | None:
    """The decoded text/plain body (not an attachment), CRLF read as LF."""
    body = msg.get_body(preferencelist=("plain",))
    if body is None:
        return None
    return body.get_content().replace("\r\n", "\n")


def _split_top(value: str, sep: str) -> list[str]:
    """Splits at `sep` outside quoted strings and angle brackets."""
    out, cur, quoted, angle, esc = [], [], False, 0, False
    for c in value:
        if esc:
            esc = False
        elif quoted and c == "\\":
            esc = True
        elif c == '"':
            quoted = not quoted
        elif not quoted and c == "<":
            angle += 1
        elif not quoted and c == ">":
            angle -= 1
        elif not quoted and angle == 0 and c == sep:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    out.append("".join(cur))
    return out


def _raw_phrases(raw: str) -> list[str]:
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", raw)
    phrases = []
    for mb in _split_top(unfolded, ","):
        q = False
        cut = None
        for i, c in enumerate(mb):
            if c == '"':
                q = not q
            elif c == "<" and not q:
                cut = i
        phrases.append(mb[:cut].strip() if cut is not None else "")
    return phrases


def mailboxes(msg, name: str) -> list[tuple[str, str]]:
    """(display name, addr-spec) of every mailbox of the first `name` header, as
    policy.default decodes them, with one correction: a display name written as two or more
    adjacent encoded words is decoded by RFC 2047 §6.2 (the white space between them is
    ignored). Python before the fix of CPython gh-128110 (PR #130749) keeps that white space
    in address headers (it does drop it in unstructured ones such as Subject)."""
    header = msg.get(name)
    if header is None:
        return []
    addrs = list(header.addresses)
    raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    phrases = _raw_phrases(raw) if isinstance(raw, str) else []
    out = []
    for i, a in enumerate(addrs):
        display = a.display_name
        if len(phrases) == len(addrs) and _MULTI_EW_PHRASE.match(phrases[i]):
            display = str(email.header.make_header(email.header.decode_header(phrases[i])))
        out.append((display, a.addr_spec))
    return out


def attachment_filename(part) -> str | None:
    """The filename parameter of the part's Content-Disposition as the policy.default header
    object decodes it (quoted string or RFC 2231 continuations). Message.get_filename() is not
    used: under policy.default it re-reads str(header) with the legacy parameter splitter,
    which takes the escaped backslash at the end of a re-quoted value ("a\\\\") for an escaped
    quote and returns 'a"; size="1' (CPython 3.11)."""
    cd = part.get("Content-Disposition")
    params = getattr(cd, "params", None)
    if params is not None and "filename" in params:
        return params["filename"]
    return part.get_filename()
