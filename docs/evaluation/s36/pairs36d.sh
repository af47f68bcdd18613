#!/bin/bash
# pairs36c.sh TAG N [bench args]: N alternated pairs; OLDDIR/NEWDIR: build folders; OLDARGS/NEWARGS: extra bench args per arm
tag=$1; n=$2; shift 2
cd /work/bench/out36
for i in $(seq ${START:-1} $n); do
  for arm in old new; do
    dir=$OLDDIR; extra=$OLDARGS; pre=$OLDPRE; [ $arm = new ] && { dir=$NEWDIR; extra=$NEWARGS; pre=$NEWPRE; }
    $pre $dir/gossip-bench net --nodes 300 --gossipd $dir/gossipd "$@" $extra > $tag-$arm-$i.txt 2>&1
    f=$tag-$arm-$i.txt
    echo "$tag-$arm-$i: $(grep "^\[steady\] time to 100%" $f | grep -o "p50 [0-9.]*") $(grep -o "steal [0-9.]*%" $f) | $(grep -o 'one graph after [0-9.]* s' $f | head -1) | p99 $(grep '^target p99' $f | grep -o '[0-9.]* ms$') | $(grep -o 'CPU of the 300 nodes while the items ran: [0-9.]* s' $f | head -1 | grep -o '[0-9.]* s') | $(grep -o 'RSS MiB min [0-9.]* median [0-9.]*' $f) $(grep -o 'code on 2 MiB pages median [0-9.]*' $f) $(grep -o 'PSS median [0-9.]*' $f) | $(tail -2 $f | grep -o 'PASS: all 5 targets\|FAIL: .*')"
  done
done
