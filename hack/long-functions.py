#!/usr/bin/env python3
"""List the C functions longer than a limit (default 80 lines), longest first.

Usage: hack/long-functions.py [--max N] [PATH...]   (default PATH: src)

A function's length is its lines from the signature's first line to the
closing brace. It relies on the repo's clang-format style (Linux braces): a
function body opens with "{" alone in column 0 and closes with "}" in column
0; the signature is the run of lines above the "{" up to a blank line, a
comment or a line ending in ";" or "}".
"""
import argparse
import os
import re
import sys

NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def functions(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i] != "{":
            i += 1
            continue
        start = i
        while start > 0:
            prev = lines[start - 1].rstrip()
            if (not prev or prev.endswith((";", "}", "*/")) or prev.startswith(("#", "/*", " *"))):
                break
            start -= 1
        sig = " ".join(lines[start:i])
        m = NAME.search(sig)
        end = i + 1
        while end < len(lines) and not lines[end].startswith("}"):
            end += 1
        if m:
            yield m.group(1), start + 1, end - start + 1
        i = end + 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max", type=int, default=80)
    ap.add_argument("paths", nargs="*", default=["src"])
    args = ap.parse_args()
    found = []
    for top in args.paths:
        walk = [(top, [], [os.path.basename(top)])] if os.path.isfile(top) else os.walk(top)
        for d, _, files in walk:
            for fn in files:
                p = top if os.path.isfile(top) else os.path.join(d, fn)
                if p.endswith(".c"):
                    for name, line, n in functions(p):
                        if n > args.max:
                            found.append((n, p, line, name))
    for n, p, line, name in sorted(found, key=lambda t: (-t[0], t[1])):
        print(f"{n:5d}  {p}:{line}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
