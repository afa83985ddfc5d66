#!/usr/bin/env bash
# clang-format (Debian's, style in .clang-format) over every library file: core/, ops/,
# stochastic/, train/, mpi/, include/.
#   bash scripts/format.sh          formats them in place
#   bash scripts/format.sh --check  lists the files that are not formatted and exits 1 if any
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files 'core/*.[ch]pp' 'ops/*.[ch]pp' 'stochastic/*.[ch]pp' 'train/*.[ch]pp' \
  'mpi/*.[ch]pp' 'include/*.hpp')
if [[ ${1:-} == --check ]]; then
  bad=()
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if ((${#bad[@]})); then
    printf 'format.sh: not clang-format clean (run bash scripts/format.sh):\n' >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format.sh: ${#files[@]} library files clang-format clean"
else
  clang-format -i "${files[@]}"
fi
