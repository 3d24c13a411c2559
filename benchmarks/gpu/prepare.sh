#!/usr/bin/env bash
# Builds .gpu/, everything the GPU benchmark needs on a bare machine with no
# package registry (run here, where npm and Debian's archive are reachable):
#   .gpu/deno.xz                   the Deno binary, xz-compressed
#   .gpu/gpu_bench.js              benchmarks/gpu/gpu_bench.ts bundled with its npm deps
#   .gpu/fixtures/                 the reference parity fixtures (../shared), ImageNet's included
#   .gpu/cifar10_train_subset.bin  the first IMAGES records of data_batch_1.bin
#   .gpu/commit.txt                the commit and whether the tree was dirty, for the
#                                  rows' context columns (the device gets no .git)
#   .gpu/debs/                     the Vulkan loader (libvulkan1) and glvnd's libraries that
#                                  NVIDIA's Vulkan driver (libGLX_nvidia.so.0) links against;
#                                  unpacked there when missing
# Then: carry .gpu and run benchmarks/gpu/run.sh paper (see its header).
set -euo pipefail
cd "$(dirname "$0")/../.."
images=${IMAGES:-3072}
data_dir=${PCDARTS_DATA_DIR:-../shared/datasets}
fixtures=${PCDARTS_PARITY_DIR:-../shared/fixtures/parity}
batch_file=$data_dir/cifar-10-batches-bin/data_batch_1.bin
[ -f "$batch_file" ] || batch_file=$data_dir/data_batch_1.bin
[ -f "$batch_file" ] || { echo "prepare.sh: no data_batch_1.bin under $data_dir (set PCDARTS_DATA_DIR)"; exit 1; }
[ -f "$fixtures/network_pcdarts.safetensors" ] || { echo "prepare.sh: no parity fixtures in $fixtures (set PCDARTS_PARITY_DIR)"; exit 1; }

rm -rf .gpu.tmp && mkdir -p .gpu.tmp/fixtures .gpu.tmp/debs
deno bundle --quiet --platform deno -o .gpu.tmp/gpu_bench.js benchmarks/gpu/gpu_bench.ts
xz -T0 -6 -c "$(readlink -f "$(command -v deno)")" > .gpu.tmp/deno.xz
for f in primitives mixed_op_k4 network_pcdarts network_darts network_pcdarts_imagenet eval_network_imagenet; do
  cp "$fixtures/$f.safetensors" .gpu.tmp/fixtures/
done
cp "$fixtures"/network_*.genotype.json .gpu.tmp/fixtures/
head -c $((images * 3073)) "$batch_file" > .gpu.tmp/cifar10_train_subset.bin
dirty=false
[ -n "$(git status --porcelain --untracked-files=no)" ] && dirty=true
printf '%s\t%s\n' "$(git rev-parse HEAD)" "$dirty" > .gpu.tmp/commit.txt
apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/pcdarts-apt-lists)
mkdir -p /tmp/pcdarts-apt-lists/partial
apt-get "${apt_options[@]}" update -qq >/dev/null
(cd .gpu.tmp/debs && apt-get "${apt_options[@]}" download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 >/dev/null)
rm -rf .gpu && mv .gpu.tmp .gpu
du -sh .gpu
