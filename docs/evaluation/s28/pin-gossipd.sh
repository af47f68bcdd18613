#!/bin/bash
# Given to `gossip-bench net` as `--gossipd` (runs P-pin-*): pins node i to CPU i mod 2, then runs
# the real gossipd (GOSSIPD, default .build/release/gossipd) with the same arguments. gossip-bench
# starts each node as `gossipd --config <folder>/node<i>.ini --log-level <level>`.
config=$2
node=${config##*/node}
node=${node%.ini}
exec taskset -c $((node % 2)) "${GOSSIPD:-.build/release/gossipd}" "$@"
