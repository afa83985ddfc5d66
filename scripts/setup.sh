#!/usr/bin/env bash
# Installs the Debian 12 packages scg needs to build, test and run its examples.
# Idempotent: asks dpkg which packages are missing and installs only those (apt-get update
# runs only then). Quiet: apt's output goes to a log that is printed only if apt fails.
set -euo pipefail

packages=(
  build-essential         # g++ 12, make (and the ASan/UBSan runtimes test.sh uses)
  cmake                   # 3.25; ctest comes with it
  libboost-graph-dev      # the graph store (header-only part)
  libboost-random-dev     # the samplers' engines and distributions
  libboost-math-dev       # special functions: lgamma, polygamma, incomplete gamma and beta
  libboost-iostreams-dev
  libboost-program-options-dev  # the examples' flags (examples/cli.hpp)
  libboost-mpi-dev        # scg::mpi: Boost.MPI (brings Open MPI's headers and libraries)
  openmpi-bin             # mpirun, for the MPI tests and the discrete VAE on several ranks
  zlib1g-dev              # examples/discrete_vae reads gzipped IDX files
  libeigen3-dev           # tensors
  libopenblas-dev         # matrix products (SCG_BLAS): OpenBLAS, kernels chosen at run time
  doctest-dev             # the test framework
  graphviz                # dot, to render write_dot's output
  clang-format            # scripts/format.sh: the library's formatting, checked by test.sh
  doxygen                 # the API reference (target docs), checked by test.sh
  pkgconf                 # pkg-config: test.sh builds the README's snippet with scg.pc
  dataset-fashion-mnist   # data for examples/discrete_vae (run as a test)
)

missing=()
for p in "${packages[@]}"; do
  # "installed" only when the package is fully unpacked and configured.
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]]; then
    missing+=("$p")
  fi
done
((${#missing[@]} == 0)) && exit 0

echo "setup: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "setup: run as root (or install sudo)" >&2; exit 1; }
  sudo=(sudo)
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_get() {
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1; then
    echo "setup: apt-get $* failed:" >&2
    cat "$log" >&2
    exit 1
  fi
}
apt_get update
apt_get install -y "${missing[@]}"
echo "setup: done"
