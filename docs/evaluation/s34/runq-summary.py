#!/usr/bin/env python3
"""Summary of runq.py's readings: how often how many threads were runnable (per reading, so
crowded moments, when the reader itself waits for a CPU, are under-represented), and the 10 ms bins
whose largest reading was over 100.

usage: runq-summary.py READINGS
"""
import collections, sys

d = [tuple(map(float, line.split())) for line in open(sys.argv[1])]
vals = [v for t, v in d]
print('procs_running read about every millisecond: %d readings over %.1f s, mean %.1f, max %d' % (len(d), d[-1][0], sum(vals) / len(vals), max(vals)))
c = collections.Counter(int(v) for v in vals)
for lo, hi in [(0, 2), (2, 5), (5, 10), (10, 50), (50, 200), (200, 500), (500, 2000)]:
    n = sum(c[k] for k in c if lo <= k < hi)
    print('  %d-%d runnable: %d readings (%.1f%%)' % (lo, hi - 1, n, 100 * n / len(d)))
bins = collections.defaultdict(list)
for t, v in d: bins[int(t * 100)].append(v)
print('10 ms bins with more than 100 runnable (s since the first reading: the largest reading):')
print('; '.join('%.2f: %d' % (b / 100, max(v)) for b, v in sorted(bins.items()) if max(v) > 100))
