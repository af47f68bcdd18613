#!/usr/bin/env python3
"""How often the p99 target (50 ms) held, by the run's p50, over every stored `gossip-bench net`
output of a 300-node run with 100 measured items under docs/evaluation/ (and any folders given).

usage: pass-by-p50.py [FOLDER...]   (default: the docs/evaluation folder this script is in)
"""
import glob, os, re, sys

folders = sys.argv[1:] or [os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')]
runs = []
for folder in folders:
    for path in sorted(glob.glob(os.path.join(os.path.normpath(folder), '**', '*'), recursive=True)):
        if os.path.isdir(path): continue
        try: text = open(path, errors='ignore').read()
        except OSError: continue
        steady = re.search(r'^\[steady\] (\d+) of (\d+) items reached 100% of 300 nodes', text, re.M)
        p50 = re.search(r'^\[steady\] time to 100%: p50 ([\d.]+) ms', text, re.M)
        p99 = re.search(r'^target p99 .*?: (?:PASS|FAIL), ([\d.]+) ms', text, re.M)
        if not (steady and p50 and p99) or steady.group(2) != '100': continue
        session = next((part for part in path.split(os.sep) if re.fullmatch(r's\d+', part)), '-')
        runs.append((session, float(p50.group(1)), float(p99.group(1))))

def table(label, chosen):
    print(f'{label}: {len(chosen)} runs')
    print('| p50 of the run (ms) | runs | p99 at most 50 ms |')
    print('|---|---|---|')
    for lo, hi in ((0, 28), (28, 31), (31, 34), (34, 38), (38, 1e9)):
        sel = [r for r in chosen if lo <= r[1] < hi]
        if sel:
            name = f'{lo}-{hi}' if hi < 1e9 else f'{lo} and over'
            ok = sum(1 for r in sel if r[2] <= 50)
            print(f'| {name} | {len(sel)} | {ok} ({100 * ok / len(sel):.0f}%) |')
    print()

sessions = sorted({r[0] for r in runs}, key=lambda s: (len(s), s))
table('folders ' + ', '.join(sessions) + ' (- : outside an sN folder)', runs)
