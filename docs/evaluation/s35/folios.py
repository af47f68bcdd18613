#!/usr/bin/env python3
"""The pages of a running process's executable mappings, by the kind of page-cache folio behind
each (as root): small (one 4 KiB page), or the head or a tail page of a large folio ("+thp": the
kernel's compound-page flag, which large page-cache folios carry), or not mapped; then the
process's smaps_rollup lines for RSS, file PSS and PMD-mapped file pages.

usage: folios.py PID
"""
import sys,struct,os,collections
pid=int(sys.argv[1]); exe=os.readlink(f'/proc/{pid}/exe')
res=collections.Counter()
pm=open(f'/proc/{pid}/pagemap','rb'); kf=open('/proc/kpageflags','rb')
for line in open(f'/proc/{pid}/maps'):
    parts=line.split()
    if len(parts)<6 or parts[5]!=exe: continue
    lo,hi=[int(x,16) for x in parts[0].split('-')]
    perm=parts[1]
    for addr in range(lo,hi,4096):
        pm.seek(addr//4096*8); e=struct.unpack('Q',pm.read(8))[0]
        if not e>>63 & 1: res[(perm,'unmapped')]+=1; continue
        pfn=e & ((1<<55)-1)
        kf.seek(pfn*8); f=struct.unpack('Q',kf.read(8))[0]
        kind='head' if f>>15&1 else 'tail' if f>>16&1 else 'small'
        if f>>22&1: kind+='+thp'
        res[(perm,kind)]+=1
for k,v in sorted(res.items()): print(k,v)
for line in open(f'/proc/{pid}/smaps_rollup'):
    if any(x in line for x in ('Rss','FilePmd','Pss_File')): print(line.strip())
