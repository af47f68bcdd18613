#!/bin/bash
# runs37.sh TAG N [ARGS...]: N runs of gossip-bench net --nodes 300 --rate 2 --warmup 5 with the rel build
tag=$1; n=$2; shift 2
cd /work/bench/rel
for i in $(seq 1 $n); do  # one run per tag when n=1
  while pgrep -x gossipd >/dev/null; do sleep 1; done
  ${BENCH:-.build/release/gossip-bench} net --nodes 300 --rate 2 --warmup 5 "$@" > /work/bench/out37/$tag.txt 2>&1
  echo "$tag-$i $(date +%T) $(grep -E 'target p99' /work/bench/out37/$tag.txt | sed 's/.*PASS/PASS/;s/.*FAIL/FAIL/') $(grep -o 'p50 [0-9.]* ms, p99' /work/bench/out37/$tag.txt | tail -1) steal $(grep -o 'steal [0-9.]*%' /work/bench/out37/$tag.txt)"
  cp /tmp/gossip-net-*/items-steady.tsv /work/bench/out37/$tag.tsv 2>/dev/null; rm -rf /tmp/gossip-net-*
done
