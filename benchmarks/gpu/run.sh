#!/usr/bin/env bash
# The GPU benchmark, one script for a bare Linux x86-64 machine with an NVIDIA
# GPU, its driver (Vulkan included), Python with PyTorch, and .gpu/ from
# prepare.sh; no registry needed. At most about 8 minutes:
#   benchmarks/gpu/run.sh paper [OUT]     (OUT defaults to $OUT, else results/gpu)
#   benchmarks/gpu/run.sh smoke [OUT]     (tiny sizes: a dry run on lavapipe)
# With PACK=DIR, everything written to OUT is also packed into
# DIR/gpu_results.tar (for a runner that hands back only a few files; this run
# writes 13): PACK=$OUT benchmarks/gpu/run.sh paper /tmp/gpu-results
# 1. the device (nvidia-smi); 2. the PyTorch twin passes the reference fixtures;
# 3. PyTorch memory and step times (reference_step.py); 4. ours through WebGPU
# on Vulkan: parity, memory, step times (gpu_bench.js); 5. the table (table.py).
set -uo pipefail
cd "$(dirname "$0")/../.."
size=${1:-paper}
out=${2:-${OUT:-results/gpu}}
budget=${BUDGET_S:-470}
start=$(date +%s)
elapsed() { echo $(( $(date +%s) - start )); }
log() { echo "[run.sh $(elapsed)s] $*"; }
mkdir -p "$out"
[ -f .gpu/gpu_bench.js ] || { echo "run.sh: .gpu/ is missing: run benchmarks/gpu/prepare.sh here first"; exit 1; }

if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/nvidia_smi.txt"
else
  echo "no nvidia-smi: not an NVIDIA machine" | tee "$out/nvidia_smi.txt"
fi
# (grep without -q reads all of ldconfig's output: with pipefail, -q can fail the
# pipeline through SIGPIPE even when the library is there.)
# NVIDIA's Vulkan driver lives in libGLX_nvidia.so.0, which links against glvnd's
# libGLdispatch.so.0: without it the loader finds no device and says nothing.
if ! ldconfig -p | grep 'libvulkan.so.1' >/dev/null || ! ldconfig -p | grep 'libGLdispatch.so.0' >/dev/null; then
  log "unpacking the Vulkan loader and glvnd ($(ls .gpu/debs | tr '\n' ' '))"
  for f in .gpu/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES=$nvidia_icd; fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/pcdarts-xdg} DENO_DIR=/tmp/pcdarts-deno-dir DENO_NO_UPDATE_CHECK=1
# The rows' git_commit and git_dirty where the machine has no .git.
if [ -f .gpu/commit.txt ]; then
  IFS=$'\t' read -r PCDARTS_GIT_COMMIT PCDARTS_GIT_DIRTY < .gpu/commit.txt
  export PCDARTS_GIT_COMMIT PCDARTS_GIT_DIRTY
fi
mkdir -p "$XDG_RUNTIME_DIR" "$DENO_DIR"
deno=/tmp/pcdarts-deno
python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' .gpu/deno.xz "$deno"
chmod +x "$deno"
log "$("$deno" --version | head -1)"

# The WebGPU adapter first: without one, nothing of ours can run, so say why
# (the Vulkan loader's own account) before spending minutes on PyTorch.
adapter_probe='const a = await navigator.gpu?.requestAdapter(); if (!a) { console.log("none"); Deno.exit(3); } console.log([a.info.vendor, a.info.architecture, a.info.device, a.info.description].filter(Boolean).join(" / "));'
if adapter=$("$deno" eval "$adapter_probe" 2>&1); then
  log "WebGPU adapter: $adapter"
else
  log "no WebGPU adapter ($adapter); the Vulkan drivers the loader sees:"
  ls -l /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>&1 | sed 's/^/  /'
  for json in ${VK_DRIVER_FILES:-} /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/nvidia/share/vulkan/icd.d/*.json; do
    [ -f "$json" ] || continue
    library=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["ICD"]["library_path"])' "$json" 2>/dev/null)
    echo "  $json -> $library"
    case $library in
      /*) path=$library ;;
      *) path=$(ldconfig -p | awk -v l="$(basename "$library")" '$1 == l { print $NF; exit }') ;;
    esac
    [ -z "$path" ] && echo "    not found by ldconfig"
    [ -n "$path" ] && ldd "$path" 2>&1 | grep -i 'not found' | sed 's/^/    missing: /'
  done
  VK_LOADER_DEBUG=error,warn,driver "$deno" eval "$adapter_probe" 2>&1 | head -40 | sed 's/^/  loader: /'
  [ "${REQUIRE_ADAPTER:-1}" = 1 ] && { log "stopping: set REQUIRE_ADAPTER=0 to take the PyTorch figures alone"; exit 4; }
fi

export PYTHONUNBUFFERED=1
# The Python with PyTorch (PYTHON=/usr/bin/python3 where another comes first).
python=${PYTHON:-python3}
log "PyTorch twin against the reference fixtures"
if "$python" benchmarks/gpu/reference_step.py check .gpu/fixtures | tee "$out/torch_parity.txt"; then
  log "PyTorch measurements"
  timeout 180 "$python" benchmarks/gpu/reference_step.py measure --size "$size" \
    --data .gpu/cifar10_train_subset.bin --out "$out" || log "reference_step.py ended with status $?"
else
  log "the PyTorch twin failed the fixtures: its figures would not be comparable, so none are taken"
fi

left=$(( budget - $(elapsed) ))
log "ours (webgpu), $left s left"
timeout $(( left > 60 ? left : 60 )) "$deno" run -A --no-config .gpu/gpu_bench.js --size "$size" --backend webgpu \
  --data .gpu/cifar10_train_subset.bin --fixtures .gpu/fixtures,fixtures/parity --out "$out" \
  --deadline-s $(( left > 120 ? left - 90 : 30 )) || log "gpu_bench ended with status $?"

log "done"
"$python" benchmarks/gpu/table.py "$out"
if [ -n "${PACK:-}" ]; then
  mkdir -p "$PACK" && tar -C "$out" -cf "$PACK/gpu_results.tar" . && echo "packed $out into $PACK/gpu_results.tar"
fi
