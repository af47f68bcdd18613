#!/usr/bin/env python3
"""Per 10 ms bin of the 500 ms item cycle (2 items a second): wake-ups per cycle (those followed by
the thread's switch-in within the recording), the mean and p90 time from a thread's wake-up to its
running, and how busy both CPUs were (time not in the idle task, split at the bins' edges). Input: `perf script -F
cpu,time,event,trace` of `perf record -e sched:sched_wakeup -e sched:sched_switch -a`. The cycle's
bins count from the recording's first event (find the wave by its thread names: wake-cycle.py).

usage: perf script -i FILE -F cpu,time,event,trace | cycle-waits.py
"""
import sys,re,collections
wake={}; delays=collections.defaultdict(list); busy=collections.Counter(); cur={}; last={}
t0=None; tend=0
for l in sys.stdin:
    m=re.match(r'\s*\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)',l)
    if not m: continue
    cpu=int(m.group(1)); t=float(m.group(2)); ev=m.group(3); tr=m.group(4)
    if t0 is None: t0=t
    tend=t
    if ev.startswith('sched:sched_wakeup'):
        p=re.search(r'pid=(\d+)',tr).group(1); wake[p]=t
    elif ev=='sched:sched_switch':
        prev=re.search(r'prev_pid=(\d+)',tr).group(1); nxt=re.search(r'next_pid=(\d+)',tr).group(1)
        if cpu in last and cur.get(cpu,'0')!='0':
            # the CPU was busy from last[cpu] to t: split at the 10 ms bins' edges
            a=last[cpu]-t0; e=t-t0
            while a<e:
                edge=min(e,(int(a*100)+1)/100)
                if edge<=a: edge=e  # float rounding: put the rest in this bin
                busy[int((a%0.5)*100)]+=edge-a; a=edge
        cur[cpu]=nxt; last[cpu]=t
        if nxt in wake:
            w=wake.pop(nxt); delays[int(((w-t0)%0.5)*100)].append(t-w)
cycles=(tend-t0)/0.5
for b in range(50):
    d=sorted(delays[b])
    if not d: continue
    print('%3d ms: wakeups %5.0f/cycle  delay mean %6.0f us p90 %6.0f us  cpus busy %3.0f%%'%(b*10,len(d)/cycles,1e6*sum(d)/len(d),1e6*d[int(0.9*len(d))],100*busy[b]/(cycles*0.010*2)))
