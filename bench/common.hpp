#pragma once
// Timing, memory and allocation counting shared by the benchmark workloads.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace bench {

/// Heap allocations so far (malloc is interposed in bench.cpp).
long allocations();

/// Peak resident memory of this process, KiB.
inline long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

struct Timing {
  double median_s = 0;    // per call
  double allocs = 0;      // heap allocations per warm call
};

/// Calls f() after `warm` warm-up calls; `blocks` timed blocks of `per_block` calls each;
/// returns the median per-call time and the allocations per call over the timed calls.
template <class F>
Timing time_it(F&& f, int warm, int blocks, int per_block) {
  for (int i = 0; i < warm; ++i) f();
  std::vector<double> t;
  t.reserve(static_cast<std::size_t>(blocks));
  const long a0 = allocations();
  for (int b = 0; b < blocks; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < per_block; ++i) f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / per_block);
  }
  Timing r;
  r.allocs = static_cast<double>(allocations() - a0) / (blocks * per_block);
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  r.median_s = t[t.size() / 2];
  return r;
}

/// The Session options of every scg workload: SCG_BENCH_THREADS (default 1) threads per run.
inline scg::SessionOptions session_options() {
  scg::SessionOptions o;
  if (const char* t = std::getenv("SCG_BENCH_THREADS")) o.threads = std::strtoul(t, nullptr, 10);
  return o;
}

/// Prints the one JSON line the runner reads.
inline void report(const std::string& workload, const std::string& impl, const std::string& config,
                   const Timing& t, const std::string& check) {
  std::printf("{\"workload\":\"%s\",\"impl\":\"%s\",\"config\":\"%s\",\"median_s\":%.9g,"
              "\"allocs_per_call\":%.3f,\"peak_rss_kib\":%ld,\"check\":\"%s\"}\n",
              workload.c_str(), impl.c_str(), config.c_str(), t.median_s, t.allocs, peak_rss_kib(),
              check.c_str());
}

/// Deterministic pseudo-random value in [-1, 1] from two indices (same formula in the
/// PyTorch twin, so both sides start from identical numbers).
inline double det(long i, long j, double salt) { return std::sin(0.7 * i + 1.3 * j + salt); }

}  // namespace bench
