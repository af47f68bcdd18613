import sys,collections,re
path=sys.argv[1]; lo,hi=(float(sys.argv[2]),float(sys.argv[3])) if len(sys.argv)>3 else (0,25)
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
        cur[2].append(parts[1].split(' (')[0] if len(parts)>1 else parts[0])
if cur: samples.append(cur)
P=0.5
h=collections.Counter(int((t%P)*1000) for c,t,_ in samples if c.startswith('api-read'))
best=max(range(500),key=lambda s: sum(h[(s+i)%500] for i in range(20)))
start=best-3
node=('item-handler','p2p-dial','p2p-read','protocol-ticker','api-read','gossip-bench')
sel=[s for s in samples if lo<=(((s[1]%P)*1000-start)%500)<hi and s[0].startswith(node)]
tot=collections.Counter()
by=collections.defaultdict(collections.Counter)
for c,t,st in sel:
    k='api' if c.startswith('api-read') else c
    sc=next((f for f in st if f.startswith('__x64_sys_') or f.startswith('__do_sys')), None)
    if sc is None:
        if any(f in('asm_sysvec_apic_timer_interrupt','asm_sysvec_reschedule_ipi','asm_sysvec_call_function_single') or f.startswith('asm_') for f in st[:12]): sc='(irq/exception)'
        elif 'kernel' in ' '.join(st[:1]) : sc='(kernel other)'
        else: sc='(user)'
    by[k][sc]+=1; tot[k]+=1
for k in tot:
    print(k,tot[k]); 
    for sc,n in by[k].most_common(8): print(f'   {n:5d} {100*n/tot[k]:5.1f}% {sc}')
