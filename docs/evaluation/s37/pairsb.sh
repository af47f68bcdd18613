#!/bin/bash
# pairsb.sh TAG N: N alternated pairs, the benchmark before/after the cheaper coverage poll, new gossipd
for i in $(seq 1 $2); do
  BENCH=/work/bench/gossip-bench-base /work/bench/runs37.sh $1-old-$i 1 --gossipd /work/bench/new/gossipd
  BENCH=/work/bench/gossip-bench-poll /work/bench/runs37.sh $1-new-$i 1 --gossipd /work/bench/new/gossipd
done
