#!/usr/bin/env python3
"""Reads procs_running from /proc/stat about every millisecond for N seconds; one line per reading:
seconds since the start, runnable threads.

usage: runq.py SECONDS OUTPUT
"""
import time, sys
N=float(sys.argv[1]); out=open(sys.argv[2],'w')
t0=time.monotonic()
while True:
    t=time.monotonic()-t0
    if t>N: break
    for l in open('/proc/stat'):
        if l.startswith('procs_running'):
            out.write('%.4f %s\n'%(t,l.split()[1])); break
    time.sleep(0.0005)
