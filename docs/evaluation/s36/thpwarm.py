#!/usr/bin/env python3
"""thpwarm.py FILE [small] (the experiment's tool; gossip-bench code-pages is the product's): drop
FILE's cached pages (run `sync` first: dirty pages are not dropped), then read the whole file
back through a mapping advised MADV_HUGEPAGE (2 MiB page-cache folios where the kernel can), or,
with 'small', through a plain mapping (the kernel's normal read-around)."""
import mmap, os, sys

path = sys.argv[1]
small = len(sys.argv) > 2
fd = os.open(path, os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
size = os.fstat(fd).st_size
m = mmap.mmap(fd, size, prot=mmap.PROT_READ)
if not small:
    m.madvise(mmap.MADV_HUGEPAGE)
total = 0
for off in range(0, size, 4096):
    total += m[off]
m.close()
os.close(fd)
print(path, 'read', size, 'bytes', 'small' if small else 'huge')
