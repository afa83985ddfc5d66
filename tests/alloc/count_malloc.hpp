#pragma once
// Counts every heap allocation of the process: malloc, calloc and realloc are interposed
// (Eigen allocates with malloc, libstdc++'s operator new calls malloc) and forward to glibc's
// own entry points. Include in exactly one translation unit of an executable.
#include <atomic>
#include <cstddef>

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);

namespace scg_alloc {
inline std::atomic<long> count{0};
/// Heap allocations so far.
inline long allocations() { return count.load(std::memory_order_relaxed); }
}  // namespace scg_alloc

extern "C" void* malloc(std::size_t n) {
  scg_alloc::count.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t n, std::size_t m) {
  scg_alloc::count.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, m);
}
extern "C" void* realloc(void* p, std::size_t n) {
  scg_alloc::count.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
