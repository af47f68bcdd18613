#!/bin/bash
# sweep38.sh K: K rounds of issue 7's real-process runs with the rel build, one at a time:
#   n300-i: gossip-bench net --nodes 300 --rate 2 --warmup 5      (one bootstrapper, the targets)
#   n50-i:  gossip-bench net                                      (50 nodes, degree 30, 50 items/s)
#   kill-i: gossip-bench net --nodes 100 --kill 0.5               (half killed with SIGKILL, then 100 items)
cd /work/bench/rel
B=.build/release/gossip-bench
one() {  # TAG ARGS...
  tag=$1; shift
  while pgrep -x gossipd >/dev/null; do sleep 1; done
  $B net "$@" > ${OUT:-/work/bench/out38}/$tag.txt 2>&1; rc=$?
  echo "$tag $(date +%T) rc=$rc $(grep -E '^(PASS|FAIL)' ${OUT:-/work/bench/out38}/$tag.txt | head -1) $(grep -o 'p50 [0-9.]* ms, p99 [0-9.]* ms' ${OUT:-/work/bench/out38}/$tag.txt | tail -1) steal $(grep -o 'steal [0-9.]*%' ${OUT:-/work/bench/out38}/$tag.txt | tail -1)"
  cp /tmp/gossip-net-*/items-steady.tsv ${OUT:-/work/bench/out38}/$tag.tsv 2>/dev/null; rm -rf /tmp/gossip-net-*
}
for i in $(seq 1 $1); do
  one n300-$i --nodes 300 --rate 2 --warmup 5
  one n50-$i
  one kill-$i --nodes 100 --kill 0.5
done
