#!/usr/bin/env python3
# growth.py FILE.tsv...: per run, time to 100% at positions 8, 20, 44, 92 (the items on which the
# node's hashed tables grew, counting the 5 warm-up items) against the median of the other items.
import sys, statistics
grow = [8, 20, 44, 92]
allr = {}
for f in sys.argv[1:]:
    rows = [l.rstrip("\n").split("\t") for l in open(f)][1:]
    t = {int(r[0]): float(r[7]) for r in rows if r[7] not in ("", "-")}
    rest = [v for k, v in t.items() if k not in grow]
    med = statistics.median(rest)
    ratio = [t.get(k, float("nan")) / med for k in grow]
    print(f"{f.split('/')[-1]:22} median of the others {med:5.1f} ms; at 8,20,44,92: " + ", ".join(f"{t.get(k, float('nan')):5.1f}" for k in grow) + "  (x" + ", ".join(f"{r:.2f}" for r in ratio) + ")")
