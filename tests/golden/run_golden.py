#!/usr/bin/env python3
"""Golden tests: each case folder holds an input (input.txt, input.zip or an input/ folder),
an optional `args` file (extra `chatvault parse` arguments on one line) and expected.jsonl.
The runner parses the input and compares the JSON Lines output item by item.

    run_golden.py --chatvault build/chatvault tests/golden/chat_export [--update-golden]
"""
import argparse
import difflib
import json
import os
import shlex
import subprocess
import sys


def run_case(chatvault, case_dir):
    inputs = [n for n in ("input.txt", "input.zip", "input") if os.path.exists(os.path.join(case_dir, n))]
    if len(inputs) != 1:
        raise RuntimeError(f"{case_dir}: needs exactly one of input.txt, input.zip, input/")
    args = []
    args_file = os.path.join(case_dir, "args")
    if os.path.exists(args_file):
        with open(args_file, encoding="utf-8") as f:
            args = shlex.split(f.read())
    # Run from the case folder so attachment locators are relative and stable.
    proc = subprocess.run([os.path.abspath(chatvault), "parse", inputs[0], "--format", "jsonl", *args],
                          cwd=case_dir, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{case_dir}: exit {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8")


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
        expected_path = os.path.join(case, "expected.jsonl")
        try:
            got = run_case(a.chatvault, case)
        except RuntimeError as e:
            print(f"FAIL {name}: {e}")
            failed += 1
            continue
        if a.update_golden:
            with open(expected_path, "w", encoding="utf-8") as f:
                f.write(got)
            print(f"updated {name}")
            passed += 1
            continue
        if not os.path.exists(expected_path):
            print(f"FAIL {name}: no expected.jsonl (run with --update-golden and review it)")
            failed += 1
            continue
        with open(expected_path, encoding="utf-8") as f:
            want = f.read()
        if [json.loads(l) for l in want.splitlines()] == [json.loads(l) for l in got.splitlines()]:
            print(f"ok {name}")
            passed += 1
        else:
            print(f"FAIL {name}:")
            sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                       "expected.jsonl", "got"))
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
