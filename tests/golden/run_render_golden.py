#!/usr/bin/env python3
"""Golden tests for rendered email: each case folder holds an input (input.txt, input.zip or
an input/ folder), an optional `args` file (extra `chatvault render` arguments on one line)
and expected/ with the .eml files the render must produce, byte for byte. Rendering is
deterministic, so nothing is masked.

    run_render_golden.py --chatvault build/chatvault tests/golden/render [--update-golden]
"""
import argparse
import difflib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile


def render_case(chatvault, case_dir, out_dir):
    inputs = [n for n in ("input.txt", "input.zip", "input") if os.path.exists(os.path.join(case_dir, n))]
    if len(inputs) != 1:
        raise RuntimeError(f"{case_dir}: needs exactly one of input.txt, input.zip, input/")
    args = []
    args_file = os.path.join(case_dir, "args")
    if os.path.exists(args_file):
        with open(args_file, encoding="utf-8") as f:
            args = shlex.split(f.read())
    proc = subprocess.run([os.path.abspath(chatvault), "render", inputs[0], "--out", out_dir, *args],
                          cwd=case_dir, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.decode(errors='replace')}")


def compare(expected_dir, got_dir):
    problems = []
    want = sorted(os.listdir(expected_dir)) if os.path.isdir(expected_dir) else []
    got = sorted(os.listdir(got_dir))
    if want != got:
        problems.append(f"files differ: missing {sorted(set(want) - set(got))}, "
                        f"unexpected {sorted(set(got) - set(want))}")
    for name in sorted(set(want) & set(got)):
        with open(os.path.join(expected_dir, name), "rb") as f:
            a = f.read()
        with open(os.path.join(got_dir, name), "rb") as f:
            b = f.read()
        if a != b:
            diff = difflib.unified_diff(a.decode("utf-8", "replace").splitlines(True),
                                        b.decode("utf-8", "replace").splitlines(True),
                                        f"expected/{name}", f"got/{name}")
            problems.append("".join(list(diff)[:80]))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatvault", required=True)
    ap.add_argument("--update-golden", action="store_true")
    ap.add_argument("root")
    a = ap.parse_args()

    passed = failed = 0
    for name in sorted(os.listdir(a.root)):
        case = os.path.join(a.root, name)
        if not os.path.isdir(case):
            continue
        expected = os.path.join(case, "expected")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            try:
                render_case(a.chatvault, case, out)
            except RuntimeError as e:
                print(f"FAIL {name}: {e}")
                failed += 1
                continue
            if a.update_golden:
                shutil.rmtree(expected, ignore_errors=True)
                shutil.copytree(out, expected)
                print(f"updated {name}")
                passed += 1
                continue
            problems = compare(expected, out)
        if problems:
            print(f"FAIL {name}:")
            for p in problems:
                print(p)
            failed += 1
        else:
            print(f"ok {name}")
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
