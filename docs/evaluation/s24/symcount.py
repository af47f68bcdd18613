import sys,re,collections,subprocess
# usage: symcount.py script...: node-thread samples (whole profile) whose stack holds a frame matching each pattern
pats=[('SHA-256 digest object','DigestContext'),('one-shot SHA-256','CCryptoBoringSSL_SHA256'),('log handler copied','LogHandler'),('Set made (any)','Set.init'),('_NativeSet.init','_NativeSet.init'),('ValidationTracker.begin','ValidationTracker.begin'),('ValidationTracker.answer','ValidationTracker.answer'),('BroadcastTree.targets','BroadcastTree.targets'),('sorted(by:)','sorted(by:)'),('modulesBehind','modulesBehind'),('NodeContext.perform','NodeContext.perform'),('Dictionary resize','_copyOrMoveAndResize'),('ContinuousClock.now','ContinuousClock.now'),('ItemHandler.run','ItemHandler.run'),('GossipEngine.receive','GossipEngine.receive'),('GossipProtocol.settle','GossipProtocol.settle')]
for path in sys.argv[1:]:
    samples=[];cur=None
    for line in open(path):
        if not line.strip():
            if cur: samples.append(cur)
            cur=None; continue
        if not line[0].isspace():
            cur=[line.strip(),[]]; continue
        parts=line.strip().split(' ',1)
        cur[1].append(parts[1].split(' (')[0] if len(parts)>1 else parts[0])
    node=[s for s in samples if s[0].startswith(('item-handler','p2p-dial','p2p-read','protocol-ticker','api-read'))]
    names=sorted({f for s in node for f in s[1]})
    dm=dict(zip(names,subprocess.run(['swift','demangle','--simplified'],input='\n'.join(names),capture_output=True,text=True).stdout.split('\n')))
    c=collections.Counter()
    for _,st in node:
        d=' | '.join(dm.get(f,f) for f in st)
        for label,p in pats:
            if p in d: c[label]+=1
    print(path.split('/')[-1], len(node))
    print('   '+'; '.join(f'{l} {c[l]}' for l,_ in pats))
