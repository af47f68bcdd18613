#!/usr/bin/env python3
"""table38.py DIR...: one line per gossip-bench net run file (n300-*, n50-*, kill-*): the issue's figures."""
import re, sys, glob, os
def grab(pat, text, default='-'):
    m = re.search(pat, text)
    return m.group(1) if m else default
for d in sys.argv[1:]:
    for kind in ('n300', 'n50', 'kill'):
        for f in sorted(glob.glob(f'{d}/{kind}-*.txt'), key=lambda p: int(re.search(r'-(\d+)\.txt', p).group(1))):
            t = open(f).read()
            steady = t.split('[steady] 100 of')[0] if False else t
            verdict = grab(r'^(PASS: all 5 targets|FAIL: .*)$', t.replace('\r', ''), '?') if re.search(r'^(PASS|FAIL)', t, re.M) else '?'
            verdict = re.search(r'^(PASS: all 5 targets|FAIL: [^\n]*)', t, re.M).group(1)
            join = grab(r'one connected graph with no isolated node ([0-9.]+) s', t)
            settled = grab(r'links settled after ([0-9.]+) s', t)
            lk = grab(r'\[settled\] links per node: (min \d+ median \d+ max \d+)', t)
            cov = grab(r'\[steady\] (\d+ of \d+ items reached 100% of \d+ nodes)', t)
            p = re.search(r'\[steady\] time to 100%: p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, max ([0-9.]+) ms', t)
            dup = grab(r'\[steady\] duplicates delivered to modules: (\d+)', t)
            msg = grab(r'\[steady\] P2P ITEM messages: ([0-9.]+) per item', t)
            rss = re.findall(r'per node: RSS MiB min [0-9.]+ median ([0-9.]+) max ([0-9.]+) \(anonymous median ([0-9.]+).*?PSS median ([0-9.]+)', t)
            churn = ''
            if kind == 'kill':
                c = re.search(r'\[churn \(survivors\)\] (\d+ of \d+ items reached 100% of \d+ nodes)', t)
                cp = re.search(r'\[churn \(survivors\)\] time to 100%: p50 ([0-9.]+) ms, p99 ([0-9.]+) ms', t)
                cd = grab(r'\[churn \(survivors\)\] duplicates delivered to modules: (\d+)', t)
                churn = f" | churn: {c.group(1) if c else '-'}, p50/p99 {cp.group(1)}/{cp.group(2) if cp else '-'} ms, dup {cd}"
            steal = grab(r'steal ([0-9.]+)% of its CPUs', t)
            print(f"{os.path.basename(d)}/{os.path.basename(f)[:-4]}: {verdict} | graph {join} s, settled +{settled} s ({lk}) | {cov} | p50/p99/max {p.group(1)}/{p.group(2)}/{p.group(3)} ms | dup {dup} | ITEMs/item {msg} | RSS med {rss[0][0]} (anon {rss[0][2]}, PSS {rss[0][3]}) MiB{churn} | steal {steal}%")
