import sys,collections,re
# usage: self.py script lo hi: per thread class, top self symbols (first frame, with dso) in the wave window
path=sys.argv[1]; lo,hi=float(sys.argv[2]),float(sys.argv[3]); N=int(sys.argv[4]) if len(sys.argv)>4 else 25
samples=[];cur=None
for line in open(path):
    if not line.strip():
        if cur: samples.append(cur)
        cur=None; continue
    if not line[0].isspace():
        m=re.match(r'\s*(.+?)\s+(\d+)\s+([\d.]+):',line)
        cur=[m.group(1).strip(),float(m.group(3)),[]] if m else None; continue
    if cur is not None:
        parts=line.strip().split(' ',1)
        cur[2].append(parts[1] if len(parts)>1 else parts[0])
if cur: samples.append(cur)
P=0.5
h=collections.Counter(int((t%P)*1000) for c,t,_ in samples if c.startswith('api-read'))
best=max(range(500),key=lambda s: sum(h[(s+i)%500] for i in range(20)))
start=best-3
def cls(c):
    for p,k in (('api-read','api'),('p2p-','peer'),('item-handler','handler'),('gossip-bench','bench'),('protocol-ticker','ticker')):
        if c.startswith(p): return k
    return None
sel=[s for s in samples if lo<=(((s[1]%P)*1000-start)%500)<hi and cls(s[0])]
by=collections.defaultdict(collections.Counter); dso=collections.defaultdict(collections.Counter)
for c,t,st in sel:
    k=cls(c)
    f=st[0] if st else '?'
    by[k][f]+=1
    d='kernel' if 'kernel' in f else ('gossipd' if 'gossipd' in f else ('libc' if 'libc' in f else 'other'))
    dso[k][d]+=1
tot=collections.Counter({k:sum(v.values()) for k,v in by.items()})
allc=collections.Counter()
for k in by: allc.update(by[k])
print('total',sum(tot.values()), dict(tot))
for k in tot: print(k, dict(dso[k]))
print('--- all classes, top self')
for f,n in allc.most_common(N): print(f'{n:5d} {f[:150]}')
