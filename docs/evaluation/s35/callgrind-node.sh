#!/bin/bash
# callgrind-node.sh TAG GOSSIPD [NODES]: runs `gossip-bench net` with NODES nodes (default 40) at 4
# items a second (5 warm-up and 100 measured items), one node (node 5) under valgrind's callgrind,
# its instruction counting switched on once the overlay settled and dumped when the items are
# done; then item-path.py prints the instructions per item of the item path. Instruction counts do
# not move with the machine's load, as times do: two builds compare in one run each.
#   GOSSIP_BENCH: the gossip-bench to run (default .build/release/gossip-bench)
#   OUT: where the output goes (default /tmp/callgrind-node); it keeps the benchmark's output
#        (bench.TAG.txt), callgrind's dumps (cg.TAG.*), the node's pid (node5.TAG.pid), the listing (tree.TAG.txt), and the
#        stripped copy of GOSSIPD and the wrapper the run used
# Valgrind 3.19 cannot read the DWARF 5 debug information Swift 6 writes: the binary is run with
# its debug sections stripped (the symbols stay).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 TAG GOSSIPD [NODES]   (GOSSIP_BENCH, OUT: see the script's head)" >&2
    exit 2
fi
tag=$1; gossipd=$(realpath "$2"); nodes=${3:-40}
warmup=5; items=100
here=$(cd "$(dirname "$0")" && pwd)
bench=$(realpath "${GOSSIP_BENCH:-.build/release/gossip-bench}")
for tool in valgrind callgrind_control callgrind_annotate objcopy swift python3 realpath; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (valgrind: apt-get install valgrind; objcopy: binutils)" >&2; exit 1; }
done
out=${OUT:-/tmp/callgrind-node}; mkdir -p "$out"; out=$(cd "$out" && pwd); cd "$out"
objcopy --strip-debug "$gossipd" "gossipd.$tag"
cat > wrap.sh <<WRAP
#!/bin/bash
# gossip-bench starts each node as \`gossipd --config <folder>/node<i>.ini ...\`.
node=\${2##*/node}; node=\${node%.ini}
if [ "\$node" = 5 ]; then echo \$\$ > "$out/node5.$tag.pid"; exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/cg.$tag.%p" "$out/gossipd.$tag" "\$@"; fi
exec "$gossipd" "\$@"
WRAP
chmod +x wrap.sh
rm -f cg."$tag".* "node5.$tag.pid"
: > "bench.$tag.txt"
"$bench" net --nodes "$nodes" --rate 4 --warmup "$warmup" --items "$items" --gossipd "$out/wrap.sh" > "bench.$tag.txt" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
# Waits for a line of the benchmark's output; fails with its last lines if the benchmark ends first.
await() {
    until grep -q "$1" "bench.$tag.txt"; do
        if ! kill -0 $pid 2>/dev/null; then
            echo "gossip-bench ended before '$1':" >&2
            tail -5 "bench.$tag.txt" >&2
            exit 1
        fi
        sleep 0.1
    done
}
await '^\[settled\]'
# The node under callgrind: the wrapper wrote its pid (exec keeps it), which also names its dumps.
node=$(cat "node5.$tag.pid" 2>/dev/null || true)
[ -n "$node" ] || { echo "no callgrind process for node 5" >&2; exit 1; }
callgrind_control -i on "$node" >/dev/null
await '^\[steady\] time to 100%'
callgrind_control -d "$node" >/dev/null
callgrind_control -i off "$node" >/dev/null
wait $pid || true
trap - EXIT
dump=$(ls cg."$tag"."$node".1)
callgrind_annotate --inclusive=yes --tree=calling --threshold=100 "$dump" | swift demangle --simplified > "tree.$tag.txt"
grep -E '^\[steady\] time to 100%|^target (coverage|duplicates)' "bench.$tag.txt" || true
python3 "$here/item-path.py" "tree.$tag.txt" $((warmup + items))
