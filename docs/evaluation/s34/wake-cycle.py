#!/usr/bin/env python3
"""Wake-ups by 10 ms bin of the 500 ms item cycle (2 items a second), from
`perf script -F time,trace` of `perf record -e sched:sched_wakeup -a`: per bin, wake-ups per
cycle and the four thread names woken most (p2p-read/p2p-dial: peer readers; api-read-N: API
readers; protocol-ticker; gossip-bench: the benchmark's modules).

usage: perf script -i FILE -F time,trace | wake-cycle.py
"""
import collections, re, sys

bins, t0, tend = collections.defaultdict(collections.Counter), None, 0
for line in sys.stdin:
    m = re.match(r'\s*([\d.]+):\s+comm=(\S+)', line)
    if not m: continue
    t = float(m.group(1))
    if t0 is None: t0 = t
    tend = t
    name = re.sub(r'-\d+$', '-N', m.group(2))
    bins[int(((t - t0) % 0.5) * 100)][name] += 1
cycles = max((tend - t0) / 0.5, 1)
for b in range(50):
    total = sum(bins[b].values())
    top = ', '.join(f'{k} {v / cycles:.0f}' for k, v in bins[b].most_common(4))
    print(f'{b * 10:3d} ms: {total / cycles:5.0f} wake-ups/cycle  ({top})')
