#!/bin/bash
# pairs36.sh TAG N OLDDIR NEWDIR [bench args]: N alternated pairs; OLDPRE/NEWPRE: command prefixes per arm (e.g. "chrt -b 0")
tag=$1; n=$2; old=$3; new=$4; shift 4
cd /work/bench/out36
for i in $(seq ${START:-1} $n); do
  for arm in old new; do
    dir=$old; pre=$OLDPRE; [ $arm = new ] && { dir=$new; pre=$NEWPRE; }
    $pre $dir/gossip-bench net --nodes 300 --gossipd $dir/gossipd "$@" > $tag-$arm-$i.txt 2>&1
    f=$tag-$arm-$i.txt
    echo "$tag-$arm-$i: $(grep "^\[steady\] time to 100%" $f | grep -o "p50 [0-9.]*") $(grep -o "steal [0-9.]*%" $f) | $(grep -o 'one connected graph[^(]*\|NOT[^(]*' $f | head -1 | sed 's/one connected graph with no isolated node//;s/ after node 0 started//') | p99 $(grep '^target p99' $f | grep -o '[0-9.]* ms$') | $(grep -o 'CPU of the 300 nodes while the items ran: [0-9.]* s' $f | head -1 | grep -o '[0-9.]* s') | $(grep -o 'waiting for a CPU[^;]*' $f | head -1) | $(tail -2 $f | grep -o 'PASS: all 5 targets\|FAIL: .*')"
  done
done
