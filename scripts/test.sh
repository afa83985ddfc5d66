#!/usr/bin/env bash
# Installs what is missing, then runs the whole suite:
#   0. Every library file clang-format clean (scripts/format.sh --check).
#   1. Release build in build/ (tests and examples on); every test through ctest.
#   2. Install into a temporary prefix; build tests/consumer, a separate CMake project, against
#      it (find_package(scg CONFIG REQUIRED), scg::scg, <scg/scg.hpp>) and run its programs.
#   3. A portable build (SCG_ARCH=portable: what packages are made from) of the library in
#      build-portable/, and the API reference there: Doxygen over the public headers; any
#      warning, such as an undocumented public name, fails. cpack refuses the native build/.
#   4. The Debian packages (cpack -G DEB: libscg-dev, libscg-mpi-dev) of the portable build,
#      extracted with dpkg-deb -x into a temporary folder (nothing installed on the machine); the
#      README's snippet built against the extracted tree through find_package and through
#      pkg-config; the mpi component found with libscg-mpi-dev and refused by name without it.
#   5. AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/ (-O1 -g1);
#      every test through ctest again, except tests/alloc, whose malloc interposition
#      conflicts with ASan's (SCG_ALLOC_TEST=OFF), the discrete VAE's variants and ipd_lola's
#      Loaded DiCE study (test_grad runs its code sanitized).
#   6. ThreadSanitizer build in build-tsan/ of the library and test_threads (SessionOptions::
#      threads: the pool, and bitwise equality across thread counts), run once.
# Steps 2 to 6 are skipped with SCG_QUICK=1. Exits non-zero on the first failure.
#
# Environment: SCG_QUICK (0), SCG_BUILD_DIR (build), SCG_PORTABLE_BUILD_DIR (build-portable),
# SCG_ASAN_BUILD_DIR (build-asan), SCG_TSAN_BUILD_DIR (build-tsan),
# SCG_JOBS (2: parallel compile jobs and ctest jobs).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${SCG_BUILD_DIR:-build}
portable_build=${SCG_PORTABLE_BUILD_DIR:-build-portable}
asan_build=${SCG_ASAN_BUILD_DIR:-build-asan}
tsan_build=${SCG_TSAN_BUILD_DIR:-build-tsan}
jobs=${SCG_JOBS:-2}
quick=${SCG_QUICK:-0}

tmp=$(mktemp -d)
stage="set-up"
trap 'rm -rf "$tmp"' EXIT
trap 'echo "test.sh: FAILED in stage: $stage" >&2' ERR

passed=0
recap=()
begin() { stage=$1; stage_start=$SECONDS; printf '\n==> %s\n' "$stage"; }
done_stage() { recap+=("$(printf '%-58s %s (%ds)' "$stage" "$1" $((SECONDS - stage_start)))"); }

# Runs ctest in build dir $1 (its output, summary included, goes to the terminal as is) and
# adds its test count to the total; further arguments go to ctest.
run_ctest() {
  local dir=$1
  shift
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" "$@" 2>&1 | tee "$tmp/ctest.log"
  local n
  n=$(sed -nE 's/^100% tests passed, 0 tests failed out of ([0-9]+)$/\1/p' "$tmp/ctest.log" | tail -n 1)
  [[ -n $n ]] || { echo "test.sh: no ctest summary found" >&2; return 1; }
  passed=$((passed + n))
  done_stage "$n tests passed"
}

# not_gate.cpp (the README's snippet) built with pkg-config's flags for scg from folder $1 into
# $2, then run.
pkg_config_not_gate() {
  # shellcheck disable=SC2046  # the flags are words
  g++ tests/consumer/not_gate.cpp -o "$2" $(PKG_CONFIG_PATH="$1" pkg-config --cflags --libs scg)
  "$2"
}

# find_package(scg COMPONENTS $3) against prefix $2 (the project in $comp, build folder
# $comp/$1) must fail with a message matching $4.
refused() {
  if cmake -S "$comp" -B "$comp/$1" -DCMAKE_PREFIX_PATH="$2" -DWANT="$3" >"$comp/$1.log" 2>&1 ||
    ! grep -q "$4" "$comp/$1.log"; then
    echo "test.sh: find_package(scg COMPONENTS $3) with $2 did not fail with '$4'" >&2
    return 1
  fi
}

bash scripts/setup.sh

# ---- 0. Formatting of the library files (seconds) ----
begin "clang-format check (scripts/format.sh --check)"
bash scripts/format.sh --check
done_stage "clean"

# ---- 1. Release ----
begin "Release build ($build)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCG_BUILD_TESTS=ON -DSCG_BUILD_EXAMPLES=ON \
  -DSCG_ALLOC_TEST=ON --log-level=WARNING
cmake --build "$build" --parallel "$jobs"
done_stage "built"
begin "ctest, Release ($build)"
run_ctest "$build"

if [[ $quick != 1 ]]; then
  # ---- 2. The installed package, used from another CMake project ----
  begin "install + tests/consumer against the installed package"
  prefix="$tmp/prefix"
  cmake --install "$build" --prefix "$prefix" >/dev/null
  cmake -S tests/consumer -B "$tmp/consumer" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON --log-level=WARNING
  # find_package must have found the install, not some other copy.
  scg_dir=$(sed -n 's/^scg_DIR:PATH=//p' "$tmp/consumer/CMakeCache.txt")
  [[ $scg_dir == "$prefix"/* ]] || { echo "test.sh: scg found at '$scg_dir', not in $prefix" >&2; false; }
  cmake --build "$tmp/consumer" --parallel "$jobs"
  for program in consumer not_gate stochastic; do
    echo "--- $program"
    "$tmp/consumer/$program"
    passed=$((passed + 1))
  done
  # The same install without CMake: pkg-config's flags build the README's snippet.
  pc_dir=$(dirname "$(find "$prefix" -name scg.pc | head -n 1)")
  echo "--- not_gate through pkg-config ($pc_dir)"
  pkg_config_not_gate "$pc_dir" "$tmp/not_gate_pc"
  passed=$((passed + 1))
  # find_package components: mpi where scg was built with it; an unknown one is refused by name.
  comp="$tmp/components"
  mkdir -p "$comp"
  printf '%s\n' 'cmake_minimum_required(VERSION 3.20)' 'project(components LANGUAGES CXX)' \
    'find_package(scg 0.1 CONFIG REQUIRED COMPONENTS ${WANT})' >"$comp/CMakeLists.txt"
  if [[ -f "$pc_dir/scg-mpi.pc" ]]; then
    cmake -S "$comp" -B "$comp/mpi" -DCMAKE_PREFIX_PATH="$prefix" -DWANT=mpi --log-level=WARNING >/dev/null
  fi
  refused bogus "$prefix" bogus "no component 'bogus'"
  passed=$((passed + 1))
  done_stage "5 checks passed"

  # ---- 3. The portable build packages are made from; the API reference ----
  begin "portable build of the library ($portable_build) and the API reference (docs)"
  cmake -S . -B "$portable_build" -DCMAKE_BUILD_TYPE=Release -DSCG_ARCH=portable \
    -DSCG_BUILD_TESTS=OFF -DSCG_BUILD_EXAMPLES=OFF --log-level=WARNING
  cmake --build "$portable_build" --parallel "$jobs"
  cmake --build "$portable_build" --target docs
  [[ -f $portable_build/docs/html/index.html ]] || { echo "test.sh: no $portable_build/docs/html/index.html" >&2; false; }
  passed=$((passed + 1))
  # cpack refuses the native build: its package would fail on CPUs older than this one.
  if (cd "$build" && cpack -G DEB -B "$tmp/native-debs" >"$tmp/native-cpack.log" 2>&1) ||
    ! grep -q "SCG_ARCH=portable" "$tmp/native-cpack.log"; then
    echo "test.sh: cpack did not refuse the native build $build:" >&2
    cat "$tmp/native-cpack.log" >&2
    false
  fi
  passed=$((passed + 1))
  done_stage "docs built without warnings; cpack refuses the native build"

  # ---- 4. The Debian packages, extracted (not installed) and used ----
  begin "Debian packages (cpack), extracted, used by tests/consumer"
  debs="$tmp/debs"
  (cd "$portable_build" && cpack -G DEB -B "$debs" >/dev/null)
  dev_deb=$(find "$debs" -maxdepth 1 -name 'libscg-dev_*.deb')
  [[ -n $dev_deb ]] || { echo "test.sh: cpack made no libscg-dev package" >&2; false; }
  dev_root="$tmp/deb-dev" all_root="$tmp/deb-all"
  dpkg-deb -x "$dev_deb" "$dev_root"
  for f in "$debs"/*.deb; do
    echo "--- $(dpkg-deb -f "$f" Package) $(dpkg-deb -f "$f" Version): Depends: $(dpkg-deb -f "$f" Depends)"
    dpkg-deb -x "$f" "$all_root"
  done
  dpkg-deb -f "$dev_deb" Depends | grep -q libeigen3-dev || { echo "test.sh: libscg-dev does not depend on Eigen" >&2; false; }
  # setup.sh installs OpenBLAS, so the products run on it and the package depends on it.
  dpkg-deb -f "$dev_deb" Depends | grep -q libopenblas-dev || { echo "test.sh: libscg-dev does not depend on OpenBLAS" >&2; false; }
  for f in usr/include/scg/scg.hpp usr/lib/libscg.a usr/lib/cmake/scg/scgConfig.cmake usr/lib/pkgconfig/scg.pc \
    usr/share/doc/scg/html/index.html; do
    [[ -f $dev_root/$f ]] || { echo "test.sh: libscg-dev lacks /$f" >&2; false; }
  done
  # The README's snippet through find_package (scg found in the extracted tree) and pkg-config.
  cmake -S tests/consumer -B "$tmp/consumer-deb" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$dev_root/usr" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON --log-level=WARNING
  scg_dir=$(sed -n 's/^scg_DIR:PATH=//p' "$tmp/consumer-deb/CMakeCache.txt")
  [[ $scg_dir == "$dev_root"/* ]] || { echo "test.sh: scg found at '$scg_dir', not in $dev_root" >&2; false; }
  cmake --build "$tmp/consumer-deb" --target not_gate
  "$tmp/consumer-deb/not_gate"
  pkg_config_not_gate "$dev_root/usr/lib/pkgconfig" "$tmp/not_gate_deb"
  # The MPI component: found with libscg-mpi-dev, refused by name without it.
  if [[ -f $all_root/usr/lib/cmake/scg/scgMpiTargets.cmake ]]; then
    cmake -S "$comp" -B "$comp/deb-mpi" -DCMAKE_PREFIX_PATH="$all_root/usr" -DWANT=mpi --log-level=WARNING >/dev/null
    refused deb-nompi "$dev_root/usr" mpi "libscg-mpi-dev"
  fi
  passed=$((passed + 3))
  done_stage "3 checks passed"

  # ---- 5. Sanitizers ----
  begin "ASan+UBSan build ($asan_build)"
  # -O1 -g1 (line tables): the level ASan recommends; compiles in about 0.55x the time of
  # RelWithDebInfo's -O2 -g, which kept CI over 30 minutes on 2 cores.
  cmake -S . -B "$asan_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
    -DSCG_BUILD_TESTS=ON -DSCG_BUILD_EXAMPLES=ON -DSCG_ALLOC_TEST=OFF --log-level=WARNING
  cmake --build "$asan_build" --parallel "$jobs"
  done_stage "built"
  # The discrete VAE's variants (IWAE with VIMCO, analytic KL, checkpoint/resume: about 250 s
  # of sanitized test time, on the library paths that test_grad, test_train and the plain
  # example_discrete_vae already run sanitized) run in the Release stage only, to keep CI
  # under 30 minutes on 2 cores (27.5 minutes with them).
  begin "ctest, ASan+UBSan ($asan_build; test_alloc off; discrete_vae variants in Release only)"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_init_order=1:check_initialization_order=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  run_ctest "$asan_build" -E "^example_(discrete_vae_(iwae_vimco|iwae_disarm|analytic_kl|resume)|ipd_lola_loaded)$"

  # ---- 6. ThreadSanitizer: the library and the thread tests ----
  begin "TSan build of test_threads ($tsan_build)"
  cmake -S . -B "$tsan_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS="-fsanitize=thread" \
    -DSCG_BUILD_TESTS=ON -DSCG_BUILD_EXAMPLES=OFF -DSCG_ALLOC_TEST=OFF -DSCG_MPI=OFF -DSCG_INSTALL=OFF \
    --log-level=WARNING
  cmake --build "$tsan_build" --parallel "$jobs" --target test_threads
  done_stage "built"
  begin "test_threads under TSan ($tsan_build)"
  TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} "$tsan_build/tests/test_threads"
  passed=$((passed + 1))
  done_stage "passed, no race reported"
fi

stage="summary"
printf '\n==> summary\n'
printf '  %s\n' "${recap[@]}"
[[ $quick == 1 ]] && echo "  (SCG_QUICK=1: install/consumer, docs, package and sanitizer stages skipped)"
echo "total: $passed passed, 0 failed"
