#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Calls in daemon/ go down the module order of docs/architecture.md.

Reads the order block of docs/architecture.md (one module per line, top
first, with its files) and every #include "..." of daemon/*.c and *.h: a
file may include the headers of its own module and of modules below it.
Fails on an upward include, on a daemon file missing from the order, on
a listed file that does not exist and on a daemon file over MAX_LINES
lines (issue 10: small files), printing each one."""
import os
import re
import sys

MAX_LINES = 900

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
doc = open(os.path.join(src, "docs", "architecture.md")).read()
m = re.search(r"<!-- include-order: begin -->\s*```\n(.*?)```", doc, re.S)
if not m:
    print("docs/architecture.md: no include-order block")
    sys.exit(1)
rank, module = {}, {}
for i, line in enumerate(l for l in m.group(1).splitlines() if l.strip()):
    name, *files = line.split()
    for f in files:
        rank[f], module[f] = i, name

ddir = os.path.join(src, "daemon")
files = sorted(f for f in os.listdir(ddir) if f.endswith((".c", ".h")))
errors = []
for f in files:
    if f not in rank:
        errors.append(f"{f}: not in the order of docs/architecture.md")
for f in rank:
    if f not in files:
        errors.append(f"{f}: listed in docs/architecture.md, not in daemon/")
for f in files:
    with open(os.path.join(ddir, f)) as fh:
        n = sum(1 for _ in fh)
    if n > MAX_LINES:
        errors.append(f"daemon/{f}: {n} lines, over {MAX_LINES}: split it along a seam")
checked = 0
for f in files:
    if f not in rank:
        continue
    for n, line in enumerate(open(os.path.join(ddir, f)), 1):
        inc = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not inc or inc.group(1) not in rank:
            continue  # lib/, netlink/, registry-client/, config.h: below the daemon
        h = inc.group(1)
        checked += 1
        if module[h] != module[f] and rank[h] < rank[f]:
            errors.append(f"daemon/{f}:{n}: includes {h} of module {module[h]}, "
                          f"above {module[f]}")
for e in errors:
    print("FAIL", e)
print(f"{checked} daemon includes checked, {len(errors)} problems")
sys.exit(1 if errors else 0)
