#!/usr/bin/env bash
# cargo-mutants on all of src/ in SHARDS shards side by side: shard 0 in the mutants tree, each other shard in a
# `cp -a` copy of it (built dependencies and all, with their times, so nothing is built again), then one table
# per module (tools/mutants_table.py). Results in OUT/shard-<k>/mutants.out.
# Usage: tools/mutants_all.sh TREE SHARDS OUT
set -euo pipefail
tree=$1 shards=$2 out=$3
cargo=${CARGO:-cargo}
(cd "$tree" && $cargo test --profile mutants --lib --no-run --quiet)
rm -rf "$out" && mkdir -p "$out"
out=$(cd "$out" && pwd)
pids=()
for ((k = 0; k < shards; k++)); do
	shard_tree=$tree
	if ((k > 0)); then
		shard_tree=$tree-$k
		rm -rf "$shard_tree" && cp -a "$tree" "$shard_tree"
	fi
	mkdir -p "$out/shard-$k"
	(cd "$shard_tree" && $cargo mutants --in-place --shard "$k/$shards" -o "$out/shard-$k" >"$out/shard-$k/log" 2>&1) &
	pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
"${PYTHON:-python3}" "$(dirname "$0")/mutants_table.py" "$out"/shard-*/mutants.out
exit $status
