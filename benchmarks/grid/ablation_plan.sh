#!/usr/bin/env bash
# The ablation grid (docs/ablations.md): the budget sweep's protocol (the cpu
# size, 15 search epochs with pcdarts's warm-up at its reference share, 10
# training epochs), five seeds, seed by seed so that a grid cut short has
# whole seeds of every arm. Rows that the budget sweep already ran (pcdarts
# and darts1 at 15 epochs, seeds 0-2) are copied from it, not run again.
#
#   bash benchmarks/grid/ablation_plan.sh [DIR]   (default results/error/ablation)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${1:-results/error/ablation}"
plan() { deno run -A src/cli/grid.ts plan --out "$dir" --size cpu --seeds 1 \
  --search-epochs 15 --train-epochs 10 "$@" >/dev/null; }
if [ -e "$dir/manifest.csv" ]; then
  echo "$dir/manifest.csv exists"; exit 1
fi
for seed in 0 1 2 3 4; do
  append=()
  [ "$seed" -gt 0 ] && append=(--append)
  s=(--first-seed "$seed")
  plan "${s[@]}" "${append[@]}" --methods pcdarts,darts1    # K=4 with, K=1 without edge normalization
  plan "${s[@]}" --append --methods pcdarts --partial-channels 1,2,8
  plan "${s[@]}" --append --methods pcdarts --partial-channels 4 --edge-normalization false
  plan "${s[@]}" --append --methods pcdarts --batch-size 64 --search-lr 0.025
  plan "${s[@]}" --append --methods pcdarts --batch-size 256
  plan "${s[@]}" --append --methods pcdarts --partial-channels 1 --edge-normalization false
done
# The budget sweep's rows of the same runs.
python3 - "$dir" <<'PY'
import csv, os, sys
dir = sys.argv[1]
budget = list(csv.DictReader(open("results/error/budget/manifest.csv")))
rows = list(csv.DictReader(open(f"{dir}/manifest.csv")))
for r in rows:
    if r["arm"] or r["budget"] != "e15":
        continue
    for b in budget:
        if (b["method"], b["seed"], b["budget"]) == (r["method"], r["seed"], "e15"):
            src = f"results/error/budget/rows/{b['index']}.csv"
            try:
                open(src).close()
            except FileNotFoundError:
                continue
            os.makedirs(f"{dir}/rows", exist_ok=True)
            # The row under this grid's index: the merge checks that a row
            # file holds its own manifest row.
            with open(src) as f:
                result = list(csv.DictReader(f))
            result[0]["index"] = r["index"]
            with open(f"{dir}/rows/{r['index']}.csv", "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(result[0]), lineterminator="\n")
                writer.writeheader()
                writer.writerows(result)
            print(f"row {r['index']} ({r['method']} e15 seed {r['seed']}) from the budget sweep's row {b['index']}")
PY
echo "$(($(wc -l < "$dir/manifest.csv") - 1)) rows in $dir/manifest.csv"
