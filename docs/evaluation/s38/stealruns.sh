#!/bin/bash
# stealruns.sh K: K rounds of the 300-node run with no hog, a 5% and a 10% SCHED_FIFO hog on every CPU (steal.py)
cd /work/bench/rel
for i in $(seq 1 $1); do
  for share in 0 0.05 0.10; do
    while pgrep -x gossipd >/dev/null; do sleep 1; done
    tag=s$share-$i
    [ "$share" != 0 ] && { python3 /work/bench/steal.py $share & hog=$!; sleep 1; }
    .build/release/gossip-bench net --nodes 300 --rate 2 --warmup 5 > /work/bench/out38s/$tag.txt 2>&1; rc=$?
    [ "$share" != 0 ] && { kill $hog; pkill -f steal.py; }
    echo "$tag $(date +%T) rc=$rc $(grep -E '^(PASS|FAIL)' /work/bench/out38s/$tag.txt) $(grep -o 'p50 [0-9.]* ms, p99 [0-9.]* ms' /work/bench/out38s/$tag.txt | tail -1) busy $(grep -o 'busy [0-9.]*%' /work/bench/out38s/$tag.txt | tail -1)"
    cp /tmp/gossip-net-*/items-steady.tsv /work/bench/out38s/$tag.tsv 2>/dev/null; rm -rf /tmp/gossip-net-*
  done
done
