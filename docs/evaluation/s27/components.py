#!/usr/bin/env python3
"""The samples of each item's wave (the first 25 ms, as ../s25/wave.py finds it) of the peer
readers and the API readers, by what they were doing: kernel, or the first of the listed
components found walking up from the sampled frame (`swift demangle` names the frames).

usage: components.py SCRIPT   (SCRIPT: `perf script -F comm,tid,time,ip,sym,dso` of `perf record -a -g`)
"""
import sys, collections, importlib.util, subprocess
spec = importlib.util.spec_from_file_location('wave', __import__('os').path.join(__import__('os').path.dirname(__file__), '../s25/wave.py')); w = importlib.util.module_from_spec(spec); spec.loader.exec_module(w)
s = w.in_wave(w.read(sys.argv[1], True), 0, 25)
names=set()
for c,t,st in s:
    for f in st: names.add(f.split(' (')[0])
names=sorted(names)
dem=dict(zip(names, subprocess.run(['swift','demangle','--simplified'],input='\n'.join(names),capture_output=True,text=True).stdout.split('\n')))
# components: first match walking from leaf upward
comps=[('AEAD','ChaChaPoly|AEAD|chacha|poly1305|FrameOpener|FrameSealer|LinkCipher|seal'),
('frame read','FrameStream|FrameReader|PeerMessage.init|APIMessage.init|decode'),
('encode','encoded\\(|encode'),
('seen/cache/engine','GossipEngine|SeenSet|ItemCache|ValidationTracker|ItemBinding|SHA256'),
('tree','BroadcastTree|TreePath|RecentMemory'),
('budgets','LinkBudgets|FairShare|TokenBucket|isWithinFairShare|admission'),
('protocol other','GossipProtocol'),
('send path','ConnectionSender|WriteBatches|NodeContext.perform|Socket.send|sendAvailable'),
('node other','NodeContext|P2PServer|APIServer|BoundedQueue|ItemHandler|Node'),
]
import re
res=collections.defaultdict(collections.Counter)
for c,t,st in s:
    if c.startswith('p2p'): k='peer'
    elif c.startswith('api-read'): k='api'
    else: continue
    leaf=st[0] if st else ''
    if '[kernel' in leaf: res[k]['kernel']+=1; continue
    fr=[dem.get(f.split(' (')[0],f) for f in st]
    got=None
    for f in fr:
        for name,pat in comps:
            if re.search(pat,f): got=name;break
        if got: break
    res[k][got or 'unattributed']+=1
for k,v in res.items():
    tot=sum(v.values()); print(k,tot)
    for n,x in v.most_common(): print(f'   {x:5d} {100*x/tot:5.1f}% {n}')
