#!/usr/bin/python3
# Read a Prometheus text exposition with Debian's python3-prometheus-client
# parser and check samples against expectations.
# Usage: prom-check.py FILE 'NAME{label="v",...} OP VALUE' ...
#   OP is == or >=; a sample absent counts as missing (a failure).
import re, sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1]).read()
samples = {}
types = {}
try:
    for fam in text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
except Exception as e:
    print("FAIL: the parser refused the text: %s\n%s" % (e, text), file=sys.stderr)
    sys.exit(1)

fail = 0
for spec in sys.argv[2:]:
    m = re.fullmatch(r'(\w+)(?:\{(.*)\})?\s*(==|>=)\s*(\S+)', spec)
    if not m:
        print("FAIL: bad expectation %r" % spec, file=sys.stderr)
        fail += 1
        continue
    name, labels, op, want = m.group(1), m.group(2) or "", m.group(3), float(m.group(4))
    lab = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', labels)))
    got = samples.get((name, lab))
    good = got is not None and (got == want if op == "==" else got >= want)
    if not good:
        fail += 1
        near = sorted("%s%s = %s" % (n, dict(l), v) for (n, l), v in samples.items()
                      if n == name)
        print("FAIL: %s: got %s; samples of %s: %s" % (spec, got, name, near or "none"),
              file=sys.stderr)
print("%d expectations, %d failed; %d families" % (len(sys.argv) - 2, fail, len(types)))
sys.exit(1 if fail else 0)
