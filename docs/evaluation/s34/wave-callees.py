#!/usr/bin/env python3
"""For each function named, the functions it called directly (by samples), over the samples of the
nodes' peer and API readers in the first 30 ms of each item's wave, in a `perf script -F
comm,tid,time,ip,sym,dso` dump of `perf record -a -g` at 2 items a second (waves found by
../s25/wave.py). Names are demangled with `swift demangle`; a name matches by its beginning.

usage: wave-callees.py SCRIPT NAME...
"""
import importlib.util,collections,subprocess,sys
import os; spec=importlib.util.spec_from_file_location('wave',os.path.join(os.path.dirname(os.path.abspath(__file__)),'../s25/wave.py')); w=importlib.util.module_from_spec(spec); spec.loader.exec_module(w)
s=w.read(sys.argv[1], True)
ws=[x for x in w.in_wave(s,0,30) if x[0].startswith(('p2p-','api-read'))]
allnames=set()
for c,t,st in ws:
    for f in st: allnames.add(f.split(' (')[0])
allnames=sorted(allnames)
dem=dict(zip(allnames,subprocess.run(['swift','demangle','--simplified','--compact'],input='\n'.join(allnames),capture_output=True,text=True).stdout.split('\n')))
for target in sys.argv[2:]:
    cal=collections.Counter(); tot=0
    for c,t,st in ws:
        names=[dem[f.split(' (')[0]] for f in st]
        idx=[i for i,n in enumerate(names) if n.startswith(target)]
        if not idx: continue
        i=max(idx); tot+=1
        cal[names[i-1] if i>0 else '(self)']+=1
    print('==',target,tot)
    for n,c in cal.most_common(14): print('  ',c,n[:150])
