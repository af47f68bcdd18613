#!/usr/bin/env python3
"""The samples of each item's wave in a `perf script -F comm,tid,time,ip,sym,dso` dump of a
`perf record -a -g` taken at 2 items a second (500 ms apart).

usage: wave.py syscalls|self SCRIPT [LO HI [N]]
  The wave starts where the API readers' samples cluster (their VALIDATIONs); LO..HI ms after it
  (default 0..25) are kept.
  syscalls: per thread class, the share of samples in each system call (or user, irq).
  self:     per thread class, samples by code object; then the top N self symbols (default 30).
"""
import collections, re, sys

PERIOD = 0.5
NODE = ('item-handler', 'p2p-dial', 'p2p-read', 'protocol-ticker', 'api-read', 'gossip-bench')


def read(path, keep_dso):
    """[comm, time, frames] per sample; frames leaf first, each `symbol` or `symbol (dso)`."""
    samples, cur = [], None
    for line in open(path):
        if not line.strip():
            if cur: samples.append(cur)
            cur = None
            continue
        if not line[0].isspace():
            m = re.match(r'\s*(.+?)\s+(\d+)\s+([\d.]+):', line)
            cur = [m.group(1).strip(), float(m.group(3)), []] if m else None
            continue
        if cur is not None:
            parts = line.strip().split(' ', 1)
            frame = parts[1] if len(parts) > 1 else parts[0]
            cur[2].append(frame if keep_dso else frame.split(' (')[0])
    if cur: samples.append(cur)
    return samples


def in_wave(samples, lo, hi):
    """The samples LO..HI ms after the wave's start, found from the API readers' samples."""
    h = collections.Counter(int((t % PERIOD) * 1000) for c, t, _ in samples if c.startswith('api-read'))
    best = max(range(500), key=lambda s: sum(h[(s + i) % 500] for i in range(20)))
    start = best - 3
    return [s for s in samples if lo <= (((s[1] % PERIOD) * 1000 - start) % 500) < hi]


def syscalls(samples):
    tot, by = collections.Counter(), collections.defaultdict(collections.Counter)
    for c, t, st in samples:
        if not c.startswith(NODE): continue
        k = 'api' if c.startswith('api-read') else c
        sc = next((f for f in st if f.startswith('__x64_sys_') or f.startswith('__do_sys')), None)
        if sc is None:
            if any(f in ('asm_sysvec_apic_timer_interrupt', 'asm_sysvec_reschedule_ipi', 'asm_sysvec_call_function_single') or f.startswith('asm_') for f in st[:12]): sc = '(irq/exception)'
            elif 'kernel' in ' '.join(st[:1]): sc = '(kernel other)'
            else: sc = '(user)'
        by[k][sc] += 1; tot[k] += 1
    for k in tot:
        print(k, tot[k])
        for sc, n in by[k].most_common(8): print(f'   {n:5d} {100*n/tot[k]:5.1f}% {sc}')


def self_symbols(samples, top):
    def cls(c):
        for p, k in (('api-read', 'api'), ('p2p-', 'peer'), ('item-handler', 'handler'), ('gossip-bench', 'bench'), ('protocol-ticker', 'ticker')):
            if c.startswith(p): return k
        return None
    by, dso = collections.defaultdict(collections.Counter), collections.defaultdict(collections.Counter)
    for c, t, st in samples:
        k = cls(c)
        if not k: continue
        f = st[0] if st else '?'
        by[k][f] += 1
        dso[k]['kernel' if 'kernel' in f else ('gossipd' if 'gossipd' in f else ('libc' if 'libc' in f else 'other'))] += 1
    tot = collections.Counter({k: sum(v.values()) for k, v in by.items()})
    allc = collections.Counter()
    for k in by: allc.update(by[k])
    print('total', sum(tot.values()), dict(tot))
    for k in tot: print(k, dict(dso[k]))
    print('--- all classes, top self')
    for f, n in allc.most_common(top): print(f'{n:5d} {f[:150]}')


if __name__ == '__main__':
    mode, path = sys.argv[1], sys.argv[2]
    lo, hi = (float(sys.argv[3]), float(sys.argv[4])) if len(sys.argv) > 4 else (0, 25)
    wave = in_wave(read(path, keep_dso=(mode == 'self')), lo, hi)
    if mode == 'syscalls': syscalls(wave)
    elif mode == 'self': self_symbols(wave, int(sys.argv[5]) if len(sys.argv) > 5 else 30)
    else: sys.exit(__doc__)
