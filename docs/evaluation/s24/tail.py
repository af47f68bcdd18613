"""What makes an item slow at 300 processes: per item, the time to 100% of the nodes against the
time to 50% and against the tree hops to the node reached last.

usage: python3 docs/evaluation/s24/tail.py   (from the repository's root)
Reads the measured phase's per-item file of every 300-node run in docs/evaluation/s23/net and
s24/net (the 50-node run, N50-*, left out)."""
import glob, statistics

files = [f for f in sorted(glob.glob('docs/evaluation/s23/net/*-items-steady.tsv')) + sorted(glob.glob('docs/evaluation/s24/net/*-items-steady.tsv'))
         if not f.split('/')[-1].startswith('N50')]
items = []
for name in files:
    with open(name) as f:
        header = f.readline().rstrip('\n').split('\t')
        col = {k: header.index(k) for k in ('ms_to_50', 'ms_to_100', 'tree_hops_to_last')}
        for line in f:
            x = line.rstrip('\n').split('\t')
            items.append((float(x[col['ms_to_50']]), float(x[col['ms_to_100']]), int(x[col['tree_hops_to_last']])))

def correlation(a, b):
    ma, mb = statistics.mean(a), statistics.mean(b)
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    return num / (sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b)) ** 0.5

t50 = [i[0] for i in items]; t100 = [i[1] for i in items]; hops = [i[2] for i in items]
print(f'{len(files)} runs, {len(items)} items')
print(f'correlation of the time to 100% with the time to 50%: {correlation(t100, t50):.2f}')
print(f'correlation of the time to 100% with the tree hops to the last node: {correlation(t100, hops):.2f}')
print('hops to the last node | items | time to 100%: median, over 45 ms')
for h in sorted(set(hops)):
    v = [t for t, k in zip(t100, hops) if k == h]
    print(f'{h:21d} | {len(v):5d} | {statistics.median(v):5.1f} ms, {sum(1 for t in v if t > 45)}')
shallow = [t for t, k in zip(t100, hops) if k <= 8]; deep = [t for t, k in zip(t100, hops) if k >= 9]
for limit in (45, 50):
    print(f'over {limit} ms: {sum(t > limit for t in shallow)} of {len(shallow)} items with at most 8 hops '
          f'({100 * sum(t > limit for t in shallow) / len(shallow):.2f}%), {sum(t > limit for t in deep)} of {len(deep)} with 9 or more '
          f'({100 * sum(t > limit for t in deep) / len(deep):.2f}%)')
