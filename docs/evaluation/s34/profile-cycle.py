#!/usr/bin/env python3
"""Per 10 ms of the 500 ms item cycle, counted from each wave's start (found where the API readers'
samples cluster, as ../s25/wave.py does): the share of a `perf record -a -g -F 999` recording's
samples that were not the idle task (both CPUs' busy share), and the samples of the nodes'
protocol tickers. Input: `perf script -F comm,tid,time,ip,sym,dso` of the recording.

usage: profile-cycle.py SCRIPT
"""
import collections, importlib.util, os, sys

spec = importlib.util.spec_from_file_location('wave', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../s25/wave.py'))
wave = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wave)

samples = wave.read(sys.argv[1], False)
h = collections.Counter(int((t % 0.5) * 1000) for c, t, _ in samples if c.startswith('api-read'))
start = max(range(500), key=lambda s: sum(h[(s + i) % 500] for i in range(20))) - 3
busy, idle, ticker = collections.Counter(), collections.Counter(), collections.Counter()
for comm, t, _ in samples:
    b = int((((t % 0.5) * 1000 - start) % 500) // 10)
    if comm.startswith('swapper'): idle[b] += 1
    else: busy[b] += 1
    if comm.startswith('protocol-ticker'): ticker[b] += 1
for b in range(50):
    total = busy[b] + idle[b]
    print(f'{b * 10:3d} ms after the wave starts: busy {100 * busy[b] / max(total, 1):3.0f}%, ticker samples {ticker[b]}')
