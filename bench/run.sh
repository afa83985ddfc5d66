#!/usr/bin/env bash
# One command for the benchmarks: installs what they need (as root, Debian), builds Release
# with the benchmarks, runs every workload beside its references and rewrites BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
extra=()
for p in python3-torch libadolc-dev dataset-fashion-mnist openmpi-bin libboost-mpi-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || extra+=("$p")
done
if [ ${#extra[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${extra[@]}" >/dev/null
fi
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSCG_BUILD_BENCH=ON -DSCG_BUILD_TESTS=OFF -DSCG_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" --target bench bench_cartpole bench_hmm bench_vae_mpi
# Debian's python3 (where python3-torch lives), not a python3 found earlier on PATH.
/usr/bin/python3 bench/run.py build-bench
