#!/usr/bin/env bash
# Regenerates the README's pictures: runs the examples (full settings; the discrete VAE for
# SCG_VAE_EPOCHS epochs, default 3, about a minute each) and renders docs/img/*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dpkg-query -W -f='${Status}' python3-matplotlib 2>/dev/null | grep -q 'install ok installed' ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-matplotlib >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bernoulli_not hard_attention discrete_vae estimators cartpole
out=$(mktemp -d)
build/examples/bernoulli_not --out "$out" | tail -1
build/examples/hard_attention --out "$out" | tail -1
build/examples/discrete_vae --epochs "${SCG_VAE_EPOCHS:-3}" --out "$out" | tail -1
build/examples/estimators --out "$out" | tail -1
build/examples/cartpole --seeds 5 --out "$out" | tail -1
/usr/bin/python3 scripts/plot.py "$out" docs/img
