#!/usr/bin/python3
# lib/prom's text read back by an independent parser (Debian's
# python3-prometheus-client): hostile label values come back intact.
import subprocess, sys
from prometheus_client.parser import text_string_to_metric_families

text = subprocess.run([sys.argv[1], "--emit"], check=True, capture_output=True,
                      text=True).stdout
fams = {f.name: f for f in text_string_to_metric_families(text)}
fail = 0
def check(cond, what):
    global fail
    if not cond:
        fail += 1
        print("FAIL:", what, file=sys.stderr)

req = fams.get("t_requests")
check(req is not None and req.type == "counter", "t_requests counter: %r" % list(fams))
if req:
    s = req.samples[0]
    check(s.labels == {"rpc": 'a"b\\c\nd}{,=', "status": "200"} and s.value == 3,
          "hostile labels round trip: %r" % (s,))
    check(req.documentation == "Requests, by \\ and\nlines.", "help: %r" % req.documentation)
hist = fams.get("t_seconds")
check(hist is not None and hist.type == "histogram", "t_seconds histogram")
if hist:
    b = {s.labels.get("le"): s.value for s in hist.samples if s.name.endswith("_bucket")}
    check(b == {"0.001": 2, "0.01": 2, "0.1": 3, "1.0": 3, "+Inf": 4} or
          b == {"0.001": 2, "0.01": 2, "0.1": 3, "1": 3, "+Inf": 4}, "buckets: %r" % b)
print("%d failed" % fail)
sys.exit(1 if fail else 0)
