#!/bin/bash
# callgrind-node.sh TAG GOSSIPD [NODES]: runs `gossip-bench net` with NODES nodes (default 40) at 4
# items a second (5 warm-up and 100 measured items), one node (node 5) under valgrind's callgrind,
# its instruction counting switched on once the overlay settled and dumped when the items are
# done; then item-path.py prints the instructions per item of the item path. Instruction counts do
# not move with the machine's load, as times do: two builds compare in one run each.
#   GOSSIP_BENCH: the gossip-bench to run (default .build/release/gossip-bench)
#   OUT: where the output goes (default /tmp/callgrind-node)
# Valgrind 3.19 cannot read the DWARF 5 debug information Swift 6 writes: the binary is run with
# its debug sections stripped (the symbols stay).
set -euo pipefail
tag=$1; gossipd=$(realpath "$2"); nodes=${3:-40}
here=$(cd "$(dirname "$0")" && pwd)
bench=$(realpath "${GOSSIP_BENCH:-.build/release/gossip-bench}")
out=${OUT:-/tmp/callgrind-node}; mkdir -p "$out"; cd "$out"
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
objcopy --strip-debug "$gossipd" "gossipd.$tag"
cat > wrap.sh <<WRAP
#!/bin/bash
# gossip-bench starts each node as \`gossipd --config <folder>/node<i>.ini ...\`.
node=\${2##*/node}; node=\${node%.ini}
if [ "\$node" = 5 ]; then exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$out/cg.$tag.%p $out/gossipd.$tag "\$@"; fi
exec $gossipd "\$@"
WRAP
chmod +x wrap.sh
rm -f cg.$tag.*
"$bench" net --nodes "$nodes" --rate 4 --warmup 5 --items 100 --gossipd "$out/wrap.sh" > "bench.$tag.txt" 2>&1 &
pid=$!
until grep -q '^\[settled\]' "bench.$tag.txt"; do sleep 0.2; kill -0 $pid 2>/dev/null || break; done
callgrind_control -i on >/dev/null
until grep -q '^\[steady\] time to 100%' "bench.$tag.txt"; do sleep 0.1; kill -0 $pid 2>/dev/null || break; done
callgrind_control -d >/dev/null
callgrind_control -i off >/dev/null
wait $pid || true
dump=$(ls cg.$tag.*.1)
callgrind_annotate --inclusive=yes --tree=calling --threshold=100 "$dump" 2>/dev/null | swift demangle --simplified > "tree.$tag.txt"
grep -E '^\[steady\] time to 100%|^target (coverage|duplicates)' "bench.$tag.txt"
python3 "$here/item-path.py" "tree.$tag.txt" 105
