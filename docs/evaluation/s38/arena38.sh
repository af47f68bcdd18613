#!/bin/bash
# arena38.sh K: K alternated pairs of the 300-node run, old gossipd (glibc's arenas) then new (one arena)
cd /work/bench/rel
for i in $(seq 1 $1); do
  for arm in old new; do
    while pgrep -x gossipd >/dev/null; do sleep 1; done
    tag=$arm-$i
    .build/release/gossip-bench net --nodes 300 --rate 2 --warmup 5 --gossipd /work/bench/$arm/gossipd > /work/bench/out38a/$tag.txt 2>&1; rc=$?
    echo "$tag $(date +%T) rc=$rc $(grep -E '^(PASS|FAIL)' /work/bench/out38a/$tag.txt) $(grep '\[steady\] time to 100%' /work/bench/out38a/$tag.txt | grep -o 'p50.*') | CPU $(grep '\[steady\] CPU of the 300' /work/bench/out38a/$tag.txt | grep -o '[0-9.]* s in') | $(grep -o 'per node: RSS.*PSS median [0-9.]*' /work/bench/out38a/$tag.txt | tail -1 | grep -o 'anonymous median [0-9.]*\|PSS median [0-9.]*' | tr '\n' ' ')"
    cp /tmp/gossip-net-*/items-steady.tsv /work/bench/out38a/$tag.tsv 2>/dev/null; rm -rf /tmp/gossip-net-*
  done
done
