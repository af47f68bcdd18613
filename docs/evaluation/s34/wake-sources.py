#!/usr/bin/env python3
"""What woke the nodes' threads, from `perf script -F comm,tid,time,trace,ip,sym` of `perf record -e
sched:sched_wakeup -g -a` (each wake-up with the waker's call chain) at 2 items a second: per woken
thread kind, wake-ups by cause (data on a socket, a lock's futex, a timer); then, for the peer
readers, by the waking thread's kind and the part of the 500 ms cycle (the wave found where the API
readers' wake-ups cluster), per cycle.

usage: wake-sources.py SCRIPT
"""
import collections, re, sys

events, cur = [], None
for line in open(sys.argv[1]):
    if line.strip() and not line[0].isspace():
        m = re.match(r'(.+?)\s+(\d+)\s+([\d.]+):\s+comm=(\S+)', line)
        cur = [m.group(1).strip(), float(m.group(3)), m.group(4), []] if m else None
        if cur: events.append(cur)
    elif cur is not None and line.strip():
        parts = line.split(None, 1)
        if len(parts) > 1: cur[3].append(parts[1].strip())

def cause(stack):
    joined = ' '.join(stack)
    for name, label in (('sock_def_readable', 'data'), ('futex_wake', 'lock'), ('timerfd', 'timer'), ('hrtimer_wakeup', 'timer')):
        if name in joined: return label
    return 'other'

def kind(comm):
    comm = re.sub(r'-\d+$', '-N', comm)
    return 'peer reader' if comm.startswith('p2p-') else comm

by = collections.defaultdict(collections.Counter)
for waker, t, woken, stack in events:
    k = kind(woken)
    if k in ('peer reader', 'api-read-N', 'protocol-ticker', 'gossip-bench'): by[k][cause(stack)] += 1
for k, counts in by.items(): print(f'{k}: {sum(counts.values())} wake-ups: ' + ', '.join(f'{c} {n}' for c, n in counts.most_common()))

span = events[-1][1] - events[0][1] if events else 0
cycles = max(span / 0.5, 1)
h = collections.Counter(int((t % 0.5) * 1000) for _, t, c, _ in events if c.startswith('api-read'))
start = max(range(500), key=lambda s: sum(h[(s + i) % 500] for i in range(30))) - 3
def phase(t): return (((t % 0.5) * 1000 - start) % 500)
print(f'peer readers woken, per cycle ({cycles:.0f} cycles), by the waking thread and cause:')
for lo, hi, label in ((0, 40, 'the wave, 0-40 ms'), (40, 240, '40-240 ms'), (240, 400, '240-400 ms (the IHAVE burst)'), (400, 500, '400-500 ms')):
    counts = collections.Counter((kind(w), cause(s)) for w, t, c, s in events if c.startswith('p2p-') and lo <= phase(t) < hi)
    print(f'  {label}: ' + ', '.join(f'{w} {c} {n / cycles:.0f}' for (w, c), n in counts.most_common(6)))
