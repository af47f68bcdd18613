import sys,collections,re
# usage: wavecount.py script...: node-thread (and bench) samples in the wave window 0-70 ms after the phase start, minus the background rate measured 100-230 ms
for path in sys.argv[1:]:
    rows=[]
    for l in open(path):
        if l and not l[0].isspace() and l.strip():
            m=re.match(r'\s*(.+?)\s+(\d+)\s+([\d.]+):',l)
            if m: rows.append((m.group(1).strip(),float(m.group(3))))
    P=0.5
    h=collections.Counter(int((t%P)*1000) for c,t in rows if c.startswith('api-read'))
    best=max(range(500),key=lambda s: sum(h[(s+i)%500] for i in range(20)))
    start=best-3
    node=('item-handler','p2p-dial','p2p-read','protocol-ticker','api-read')
    def count(lo,hi,pref):
        return sum(1 for c,t in rows if lo<=(((t%P)*1000-start)%500)<hi and c.startswith(pref))
    out=[]
    for name,pref in (('node',node),('bench',('gossip-bench',)),('handler',('item-handler',)),('api',('api-read',)),('peer',('p2p-dial','p2p-read'))):
        w=count(0,70,pref); bg=count(100,230,pref)/130*70
        out.append(f'{name} {w}-{bg:.0f}={w-bg:.0f}')
    idle=count(0,70,('swapper',))
    print(path.split('/')[-1], ' | '.join(out), f'| idle in window {idle}')
