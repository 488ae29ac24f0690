#!/usr/bin/python3
# Parse a Prometheus text exposition (stdin) with prometheus_client's own
# parser, an independent reader of what re6stnet writes, and print it as
# JSON for jq: {"families": {NAME: TYPE}, "samples": [{"name", "labels", "value"}]}
# (the parser names a counter's family without its _total; samples keep it).
# Exits 1 with the parser's complaint if the text is not valid.
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
out = {"families": {}, "samples": []}
try:
    for fam in text_string_to_metric_families(text):
        if fam.name in out["families"]:
            raise ValueError("family %s twice" % fam.name)
        out["families"][fam.name] = fam.type
        out["samples"] += [{"name": s.name, "labels": s.labels, "value": s.value}
                           for s in fam.samples]
except Exception as e:  # the parser raises ValueError and others
    print("metrics-parse: invalid exposition: %s" % e, file=sys.stderr)
    sys.exit(1)
# Every family has HELP and TYPE lines (the parser tolerates their absence).
for line in text.splitlines():
    if line.startswith("#") and not line.startswith(("# HELP ", "# TYPE ")):
        print("metrics-parse: stray comment: %s" % line, file=sys.stderr)
        sys.exit(1)
json.dump(out, sys.stdout)
