#!/usr/bin/env bash
# One grid row per SLURM array task. Submit from the repository root:
#
#   deno task grid plan --out results/grid --size smoke --seeds 3
#   sbatch --array=0-$(( $(wc -l < results/grid/manifest.csv) - 2 )) \
#       benchmarks/grid/slurm_array.sh results/grid/manifest.csv [--data-dir DIR]
#   deno task grid merge results/grid
#
# Each task runs `deno task grid run MANIFEST` with SLURM_ARRAY_TASK_ID as its
# row; a finished row does nothing and an interrupted one resumes, so a requeued
# or repeated task is harmless.
#SBATCH --job-name=pcdarts-grid
#SBATCH --cpus-per-task=1
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-.}"
# The wasm kernels' threads: the task's CPUs.
export PCDARTS_THREADS="${PCDARTS_THREADS:-${SLURM_CPUS_PER_TASK:-1}}"
exec deno run --allow-read --allow-write --allow-env --allow-sys --allow-ffi \
  --allow-net --allow-run src/cli/grid.ts run "$@"
