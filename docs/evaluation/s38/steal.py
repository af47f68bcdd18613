#!/usr/bin/env python3
"""steal.py SHARE [BURST_MS]: on every CPU, a SCHED_FIFO thread that spins BURST_MS (default 1) out of
every BURST_MS/SHARE ms, preempting everything else: the CPU time a hypervisor's steal takes away."""
import os, sys, time, multiprocessing
share = float(sys.argv[1]); burst = float(sys.argv[2]) / 1000 if len(sys.argv) > 2 else 0.001
period = burst / share
def hog(cpu):
    os.sched_setaffinity(0, {cpu})
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    nxt = time.monotonic()
    while True:
        end = time.monotonic() + burst
        while time.monotonic() < end: pass
        nxt += period
        delay = nxt - time.monotonic()
        if delay > 0: time.sleep(delay)
        else: nxt = time.monotonic()
if __name__ == '__main__':
    procs = [multiprocessing.Process(target=hog, args=(c,), daemon=True) for c in range(os.cpu_count())]
    for p in procs: p.start()
    for p in procs: p.join()
