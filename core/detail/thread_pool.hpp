#pragma once
// Internal (not installed): the fixed pool of threads of a Session with SessionOptions::threads
// above 1. Started once with the session, stopped with it; never per run.
//
// A parallel region calls f(i) for every i of [0, n): the caller and the workers take indices
// from one atomic counter, so which thread runs which index varies, but the work of each index
// does not. Callers make results independent of the thread count by splitting their work into
// parts that depend only on the shapes (never on the number of threads) and by combining
// partial results in index order. No allocation per region (the job is a function pointer and
// a context pointer), so warm runs stay allocation-free.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace scg::detail {

class ThreadPool {
 public:
  /// `threads` in all, the calling thread included (>= 2): threads - 1 workers start here.
  explicit ThreadPool(std::size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Threads in all, the caller included.
  std::size_t size() const { return workers_.size() + 1; }

  /// Calls f(i) for i in [0, n) on the pool and the calling thread; returns when all are
  /// done. The first exception thrown by any f(i) is rethrown here (the other indices still
  /// run or are skipped). Not reentrant: f must not start another region on this pool.
  template <class F>
  void for_each(std::size_t n, F&& f) {
    using Fn = std::remove_reference_t<F>;
    run(
        n, [](void* c, std::size_t i) { (*static_cast<Fn*>(c))(i); },
        const_cast<void*>(static_cast<const void*>(&f)));
  }

 private:
  using Job = void (*)(void*, std::size_t);
  static constexpr std::uint64_t kStop = UINT64_MAX;
  void run(std::size_t n, Job job, void* ctx);
  void work();        // one worker's loop
  void take_items();  // takes indices of the current job until none is left

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  // One per region; workers wait for it to change. Written under mutex_ (so a worker that
  // checks it under mutex_ before sleeping cannot miss a wake-up), read without it while
  // spinning.
  std::atomic<std::uint64_t> generation_{0};  // kStop once the pool stops
  std::atomic<std::size_t> busy_{0};          // workers still in the current region
  Job job_ = nullptr;
  void* ctx_ = nullptr;
  std::size_t n_ = 0;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;  // the first exception (under mutex_)
};

/// Runs f(i) for i in [0, n): on `pool` where given, else in order on this thread.
template <class F>
void for_each_part(ThreadPool* pool, std::size_t n, F&& f) {
  if (pool && n > 1) {
    pool->for_each(n, f);
  } else {
    for (std::size_t i = 0; i < n; ++i) f(i);
  }
}

/// Work over the elements of large tensors (elementwise ops, the finite check) is split into
/// parts of kPart elements (the last one shorter) whatever the thread count, and the threads
/// share the parts; below kParallelFrom elements (512 KB of doubles: tens of microseconds of
/// work) it is one part, on the calling thread. Part boundaries are multiples of every vector
/// width, so each element takes the same code path as in one pass.
inline constexpr std::ptrdiff_t kPart = 32768, kParallelFrom = 65536;

/// Calls f(offset, length) for each part of [0, size) (one part below kParallelFrom). `cost`
/// (a power of two up to kPart) is the work per element in units of an add's: the thresholds
/// are divided by it, so an op with a scalar libm call per element (expm1: cost 32) splits
/// from kParallelFrom / 32 elements, in parts of kPart / 32 (measured per op: bench/NOTES.md,
/// "Cost model").
template <class F>
void for_each_span(ThreadPool* pool, std::ptrdiff_t size, const F& f, std::ptrdiff_t cost = 1) {
  if (size * cost < kParallelFrom) return f(std::ptrdiff_t{0}, size);
  const std::ptrdiff_t part = kPart / cost;
  const auto parts = static_cast<std::size_t>((size + part - 1) / part);
  for_each_part(pool, parts, [&](std::size_t p) {
    const std::ptrdiff_t off = static_cast<std::ptrdiff_t>(p) * part;
    f(off, std::min(part, size - off));
  });
}

/// Splits [0, extent) into `parts` nearly equal ranges and calls f(begin, end) for each (on
/// `pool` where given): the one place the thread-count-independent splits are computed.
template <class F>
void for_each_range(ThreadPool* pool, std::ptrdiff_t extent, std::ptrdiff_t parts, const F& f) {
  for_each_part(pool, static_cast<std::size_t>(parts), [&](std::size_t p) {
    const auto i = static_cast<std::ptrdiff_t>(p);
    f(extent * i / parts, extent * (i + 1) / parts);
  });
}

/// Parts of whole rows or columns (`extent` of them) for work over `size` elements: about one
/// per kPart elements, at most one per row or column.
inline std::ptrdiff_t slice_parts(std::ptrdiff_t extent, std::ptrdiff_t size) {
  return std::min(extent, (size + kPart - 1) / kPart);
}

}  // namespace scg::detail
