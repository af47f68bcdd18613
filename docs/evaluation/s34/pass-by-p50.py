#!/usr/bin/env python3
"""How often the p99 target (50 ms) held, by the run's p50, over the stored `gossip-bench net` runs
of the benchmark's usual setting: 300 nodes, 100 measured items of 64 bytes at 2 items a second,
links encrypted, modules on TCP, no other key set. One table per VM: folders s17-s27 and v* ran on
an AMD EPYC VM, s28 and later on the Intel Xeon VM of today. Runs listed in DISTURBED (another job
loading the machine, as the folder's README says) are left out; older folders' disturbed runs are
not listed.

usage: pass-by-p50.py [FOLDER...]   (default: the docs/evaluation folder this script is in; folders
given replace it)
"""
import glob, os, re, sys

# Runs taken while something else loaded the machine (their READMEs say so): left out.
DISTURBED = {os.path.join('s34', 'wakeg-8.txt')}

folders = sys.argv[1:] or [os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')]
runs, skipped = [], 0
for folder in folders:
    for path in sorted(glob.glob(os.path.join(os.path.normpath(folder), '**', '*'), recursive=True)):
        if os.path.isdir(path) or any(os.path.abspath(path).endswith(os.sep + d) for d in DISTURBED): continue
        try: text = open(path, errors='ignore').read()
        except OSError: continue
        steady = re.search(r'^\[steady\] (\d+) of (\d+) items reached 100% of 300 nodes', text, re.M)
        p50 = re.search(r'^\[steady\] time to 100%: p50 ([\d.]+) ms', text, re.M)
        p99 = re.search(r'^target p99 .*?: (?:PASS|FAIL), ([\d.]+) ms', text, re.M)
        if not (steady and p50 and p99) or steady.group(2) != '100': continue
        header = re.search(r'^gossip-bench net: 300 gossipd processes.*$', text, re.M)
        usual = (header and '100 items of 64 bytes at 2.0 items/s' in header.group(0) and 'links encrypted' in header.group(0)
                 and 'Unix-domain' not in header.group(0) and not re.search(r'^keys set:', text, re.M))
        if not usual:
            skipped += 1
            continue
        folder_name = next((part for part in path.split(os.sep) if re.fullmatch(r'[sv]\d+', part)), '-')
        intel = folder_name.startswith('s') and int(folder_name[1:]) >= 28
        runs.append((folder_name, intel, float(p50.group(1)), float(p99.group(1))))

def table(label, chosen):
    names = sorted({r[0] for r in chosen}, key=lambda s: (s[0], len(s), s))
    print(f'{label} (folders {", ".join(names)}): {len(chosen)} runs')
    print('| p50 of the run (ms) | runs | p99 at most 50 ms |')
    print('|---|---|---|')
    for lo, hi in ((0, 28), (28, 31), (31, 34), (34, 38), (38, 1e9)):
        sel = [r for r in chosen if lo <= r[2] < hi]
        if sel:
            name = f'{lo}-{hi}' if hi < 1e9 else f'{lo} and over'
            ok = sum(1 for r in sel if r[3] <= 50)
            print(f'| {name} | {len(sel)} | {ok} ({100 * ok / len(sel):.0f}%) |')
    print()

print(f'{skipped} runs of 300 nodes with 100 items in another setting (another rate, plain text, Unix sockets, keys set) left out\n')
table('AMD EPYC VM', [r for r in runs if not r[1]])
table('Intel Xeon VM', [r for r in runs if r[1]])
