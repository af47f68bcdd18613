#!/bin/bash
# pairs37.sh TAG N: N alternated pairs old/new gossipd with the base bench
for i in $(seq 1 $2); do
  for arm in old new; do
    BENCH=/work/bench/gossip-bench-base /work/bench/runs37.sh $1-$arm-$i 1 --gossipd /work/bench/$arm/gossipd
  done
done
