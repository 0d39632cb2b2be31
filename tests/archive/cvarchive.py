"""Shared helpers for the archive end-to-end tests: run the real `chatvault` CLI on a throwaway
archive, and write Android "Export chat" files (as .txt, .zip or an unpacked folder) with
attachments beside them.

Standard library only. Every test builds its inputs in a temp folder; nothing here touches the
shared corpus or the source tree.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

ANDROID_HEADER = "{d:%d/%m/%Y}, {d:%H:%M} - "


@dataclass
class Msg:
    """One Android export line: `24/11/2026, 10:05 - Author: text`. `attachment` names a file
    written as `NAME (file attached)` before the text (the text then follows on the next line,
    as WhatsApp writes a caption)."""

    when: dt.datetime
    author: str | None
    text: str
    attachment: str | None = None

    def line(self) -> str:
        head = ANDROID_HEADER.format(d=self.when)
        body = self.text
        if self.attachment:
            body = f"{self.attachment} (file attached)" + (f"\n{self.text}" if self.text else "")
        return head + (f"{self.author}: {body}" if self.author is not None else body)


@dataclass
class Chat:
    """A chat export: the name WhatsApp puts in the file name, its lines and its media."""

    name: str
    messages: list[Msg]
    media: dict[str, bytes] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return f"WhatsApp Chat with {self.name}"

    def text(self) -> str:
        return "".join(m.line() + "\n" for m in self.messages)

    def write(self, folder: str, container: str = "txt", with_media: bool = True) -> str:
        """Writes the export into `folder` and returns the path to import: the .txt (media
        beside it when `with_media`), a .zip holding the .txt and the media, or an unpacked
        folder named like the chat."""
        os.makedirs(folder, exist_ok=True)
        if container == "txt":
            path = os.path.join(folder, self.stem + ".txt")
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(self.text())
            if with_media:
                for name, data in self.media.items():
                    with open(os.path.join(folder, name), "wb") as f:
                        f.write(data)
            return path
        if container == "zip":
            path = os.path.join(folder, self.stem + ".zip")
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(self.stem + ".txt", self.text().encode("utf-8"))
                if with_media:
                    for name, data in self.media.items():
                        z.writestr(name, data)
            return path
        if container == "folder":
            path = os.path.join(folder, self.stem)
            os.makedirs(path, exist_ok=True)
            self.write(path, "txt", with_media)
            return path
        raise ValueError(container)


def minutes(start: dt.datetime, n: int, step: int = 1) -> list[dt.datetime]:
    return [start + dt.timedelta(minutes=i * step) for i in range(n)]


class Failures:
    """Collects `FAIL` lines; `check` prints `ok`/`FAIL` per assertion."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, cond: bool, what: str, detail: str = "") -> bool:
        if cond:
            print(f"ok   {what}")
        else:
            msg = f"{what}" + (f": {detail}" if detail else "")
            print(f"FAIL {msg}")
            self.items.append(msg)
        sys.stdout.flush()
        return cond

    def equal(self, actual, expected, what: str) -> bool:
        return self.check(actual == expected, what, f"expected {expected!r}, got {actual!r}")

    def exit_code(self) -> int:
        if self.items:
            print(f"\n{len(self.items)} failure(s):")
            for f in self.items:
                print(f"  - {f}")
            return 1
        print("\nall checks passed")
        return 0


class Run:
    """The result of one chatvault run (text decoded leniently, for messages)."""

    def __init__(self, argv: list[str], p: subprocess.CompletedProcess) -> None:
        self.argv = argv
        self.rc = p.returncode
        self.raw = p.stdout
        self.out = p.stdout.decode("utf-8", "replace")
        self.err = p.stderr.decode("utf-8", "replace")

    def describe(self) -> str:
        tail = (self.err.strip() or self.out.strip())[-600:]
        return f"`{' '.join(self.argv)}` exited {self.rc}: {tail}"

    def json(self):
        return json.loads(self.out)


class Vault:
    """One archive folder and the chatvault binary that works on it."""

    def __init__(self, exe: str, archive: str, env: dict | None = None) -> None:
        self.exe = os.path.abspath(exe)
        self.archive = archive
        self.env = dict(os.environ if env is None else env)
        self.env.pop("CHATVAULT_ARCHIVE", None)
        self.env.pop("CHATVAULT_KEY_FILE", None)

    def run(self, *args: str, timeout: float = 600, archive: bool = True) -> Run:
        argv = [self.exe, *args] + (["--archive", self.archive] if archive else [])
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, timeout=timeout)
        return Run(argv, p)

    def must(self, *args: str, timeout: float = 600) -> Run:
        r = self.run(*args, timeout=timeout)
        if r.rc != 0:
            raise AssertionError(r.describe())
        return r

    def init(self) -> None:
        self.must("init")

    def import_json(self, *args: str) -> dict:
        return self.must("import", *args, "--json").json()

    def mailboxes(self) -> dict[str, int]:
        return {m["mailbox"]: m["items"] for m in self.must("mailboxes", "--json").json()}

    def ls(self, mailbox: str, page: int = 1000) -> list[dict]:
        out: list[dict] = []
        while True:
            rows = self.must("ls", mailbox, "--json", "--limit", str(page), "--offset", str(len(out))).json()
            out += rows
            if len(rows) < page:
                return out

    def show(self, item) -> dict:
        return self.must("show", str(item), "--json").json()

    def quarantine(self) -> list[dict]:
        return self.must("quarantine", "ls", "--json").json()

    def verify(self) -> Run:
        return self.run("verify", "--json")


def common_args(description: str):
    import argparse

    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--chatvault", default=os.path.join(repo, "build", "chatvault"))
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    return ap, repo


def run_in_temp(args, prefix: str, body, errors=(AssertionError,)) -> int:
    """Runs body(tmp, failures) in a fresh temp folder (kept with --keep) and returns the exit
    code: a command that had to succeed and did not counts as one failure."""
    import shutil
    import tempfile

    tmp = tempfile.mkdtemp(prefix=prefix)
    f = Failures()
    try:
        body(tmp, f)
    except errors as e:
        f.check(False, "command", str(e))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return f.exit_code()
