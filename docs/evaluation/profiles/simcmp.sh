#!/bin/bash
# Compares network profiles in the simulator: 1,000 nodes through one bootstrapper, 100 items at
# 10 a second, half the nodes killed at 19.95 s; one line per seed.
# usage (from the repository's root, after swift build -c release):
#   docs/evaluation/profiles/simcmp.sh NAME "gossip-sim options" SEED...
# NET (environment) sets the network, by default 150 ms +-50 ms links with 1% loss.
set -euo pipefail
name=$1; opts=$2; shift 2
NET=${NET:---loss 0.01 --latency-ms 150 --latency-jitter-ms 50}
out=${OUT:-/tmp}
for s in "$@"; do
  # shellcheck disable=SC2086
  .build/release/gossip-sim $opts --nodes 1000 --join single $NET --items 100 --seed "$s" --kill 0.5 \
    --json-out "$out/cmp-$name-$s.json" > /dev/null 2>&1
  python3 - "$name" "$s" "$out/cmp-$name-$s.json" <<'PY'
import json, sys
name, seed, path = sys.argv[1:4]
d = json.load(open(path))
kill = 19.95
after = [i for i in d['items'] if i['announced_s'] > kill]
before = [i for i in d['items'] if i['announced_s'] <= kill]
complete = lambda items: sum(1 for i in items if i['reliability'] >= 1)
t = [i['t100_ms'] for i in after if i['t100_ms']]
median = sorted(i['reliability'] for i in after)[len(after) // 2]
mean = f"{sum(t) / len(t):.0f} ms over {len(t)}" if t else "none complete"
traffic = d['traffic']
types = traffic['by_type']
missed = lambda items: ",".join(f"{i['index']}@{i['announced_s']}s:{i['eligible'] - i['reached']}" for i in items if i['reliability'] < 1)
print(f"{name} seed {seed}: after the kill {complete(after)}/{len(after)} items at every survivor "
      f"(median reliability {median:.4f}), t100 mean {mean}; before or at it {complete(before)}/{len(before)}; "
      f"messages {traffic['total_messages']}, PINGs {types['ping']['messages']}, PUSH {types['push']['messages']}, "
      f"DIGEST {types['digest']['messages']}, IHAVE {types['ihave']['messages']}; "
      f"items short (index@announced:survivors missing) after [{missed(after)}] before [{missed(before)}]")
PY
done
