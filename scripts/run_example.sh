#!/usr/bin/env bash
# Installs what is missing, builds the Release configuration into build/ and runs the main
# example: the Bernoulli NOT gate trained by the exact gradient of its expected cost and by
# the sampled (score-function) estimator. Extra arguments go to the example, e.g. --quick.
#
# Environment: SCG_BUILD_DIR (default build), SCG_JOBS (default 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
build=${SCG_BUILD_DIR:-build}
jobs=${SCG_JOBS:-2}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCG_BUILD_EXAMPLES=ON --log-level=WARNING
cmake --build "$build" --parallel "$jobs" --target bernoulli_not
cd "$build/examples"   # the example writes its CSV and DOT files to the working directory
exec ./bernoulli_not "$@"
