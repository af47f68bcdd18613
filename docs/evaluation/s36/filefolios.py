#!/usr/bin/env python3
"""filefolios.py FILE (as root): map FILE, touch every page, and count the kinds of page-cache
folio behind its pages: small (one 4 KiB page), or the head or a tail page of a large folio
("+thp": the kernel's compound-page flag, which large page-cache folios carry)."""
import collections, mmap, os, struct, sys

path = os.path.realpath(sys.argv[1])
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
m = mmap.mmap(fd, size, prot=mmap.PROT_READ)
for off in range(0, size, 4096):
    m[off]
kinds = collections.Counter()
pagemap = open('/proc/self/pagemap', 'rb')
flags = open('/proc/kpageflags', 'rb')
for line in open('/proc/self/maps'):
    parts = line.split()
    if len(parts) < 6 or parts[5] != path:
        continue
    low, high = [int(x, 16) for x in parts[0].split('-')]
    for address in range(low, high, 4096):
        pagemap.seek(address // 4096 * 8)
        entry = struct.unpack('Q', pagemap.read(8))[0]
        if not entry >> 63 & 1:
            kinds['unmapped'] += 1
            continue
        flags.seek((entry & ((1 << 55) - 1)) * 8)
        f = struct.unpack('Q', flags.read(8))[0]
        kind = 'head' if f >> 15 & 1 else 'tail' if f >> 16 & 1 else 'small'
        if f >> 22 & 1:
            kind += '+thp'
        kinds[kind] += 1
print(path, dict(kinds))
