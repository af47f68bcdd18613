#!/usr/bin/env python3
"""Samples per thread class in a `perf script -F comm,tid,time,ip,sym,dso` dump of `perf record -a
-g` at 2 items a second: over the whole recording, and in the first 25 ms of each item's wave (as
../s25/wave.py finds it). Each class: (samples, of them in the kernel). `bench` is gossip-bench's
process (its subscriber threads, whatever serves them).

usage: wave-classes.py SCRIPT...
"""
import collections, importlib.util, os, sys

spec = importlib.util.spec_from_file_location('wave', os.path.join(os.path.dirname(__file__), '../s25/wave.py'))
wave = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wave)


def thread_class(comm):
    for prefix, name in (('api-read', 'api'), ('p2p-', 'peer'), ('item-handler', 'handler'), ('gossip-bench', 'bench'),
                         ('protocol-ticker', 'ticker'), ('swapper', 'idle')):
        if comm.startswith(prefix): return name
    return 'other'


for path in sys.argv[1:]:
    samples = wave.read(path, True)
    for label, chosen in (('whole recording', samples), ('waves, first 25 ms', wave.in_wave(samples, 0, 25))):
        count = collections.Counter(thread_class(c) for c, _, _ in chosen)
        kernel = collections.Counter(thread_class(c) for c, _, frames in chosen if frames and 'kernel' in frames[0])
        total = sum(count.values())
        parts = ', '.join(f'{k} {v} ({100 * v / total:.1f}%; kernel {kernel[k]})' for k, v in count.most_common())
        print(f'{os.path.basename(path)}, {label}: {total} samples: {parts}')
