import sys,collections,re
# usage: phase.py script(comm,cpu,time) : fold samples by time mod 500 ms, phase set by api-read samples; print busy share per 5 ms bin
rows=[]
for l in open(sys.argv[1]):
    m=re.match(r'\s*(.+?)\s+\[(\d+)\]\s+([\d.]+):',l)
    if m: rows.append((m.group(1).strip(),int(m.group(2)),float(m.group(3))))
P=0.5
# phase: histogram of api-read times mod P in 1 ms bins, find the 20 ms window with most
h=collections.Counter(int((t%P)*1000) for c,_,t in rows if c.startswith('api-read'))
best=max(range(500),key=lambda s: sum(h[(s+i)%500] for i in range(20)))
start=best-3
bins=collections.defaultdict(collections.Counter)
for c,cpu,t in rows:
    ph=int(((t%P)*1000-start)%500)//5
    k='idle' if c=='swapper' else ('api' if c.startswith('api-read') else c)
    bins[ph][k]+=1
keys=['idle','p2p-read','p2p-dial','protocol-ticker','item-handler','api','gossip-bench']
print('ms   total '+' '.join(f'{k[:8]:>8}' for k in keys))
for b in range(100):
    tot=sum(bins[b].values())
    if tot==0: continue
    print(f'{b*5:3d} {tot:6d} '+' '.join(f'{100*bins[b][k]/tot:8.1f}' for k in keys))
