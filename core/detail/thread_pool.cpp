// The thread pool of a Session (see thread_pool.hpp).
#include "scg/core/detail/thread_pool.hpp"

#include <chrono>

namespace scg::detail {

namespace {
// Waits up to kSpin for done() before the caller blocks on a condition variable: a region's
// wake-up through the kernel (futex) costs 10-50 us on a VM, as much as an elementwise part,
// and a run has tens of regions separated by a few microseconds of serial ops. Measured on the
// 2-core CI machine, discrete_vae --threads 2: 12% of the profile in the kernel's wake-up path
// without the spin (bench/NOTES.md). Bounded, so idle workers sleep soon after a run.
constexpr std::chrono::microseconds kSpin{50};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#else
  std::this_thread::yield();
#endif
}

template <class Done>
bool spin_until(Done done) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (unsigned i = 1;; ++i) {
    if (done()) return true;
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() >= until) return done();
  }
}
}  // namespace

ThreadPool::ThreadPool(std::size_t threads) {
  workers_.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    generation_.store(kStop, std::memory_order_release);  // ends spinning and sleeping waits
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::take_items() {
  for (std::size_t i = next_.fetch_add(1, std::memory_order_relaxed); i < n_;
       i = next_.fetch_add(1, std::memory_order_relaxed)) {
    if (failed_.load(std::memory_order_relaxed)) continue;  // skip the rest after an error
    try {
      job_(ctx_, i);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
}

void ThreadPool::work() {
  std::uint64_t seen = 0;
  for (;;) {
    // A new region, or the pool stopping: generation_ changed.
    const auto changed = [&] { return generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(changed)) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, changed);
    }
    seen = generation_.load(std::memory_order_acquire);
    if (seen == kStop) return;
    take_items();
    if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(mutex_);  // the caller checks busy_ under the mutex before sleeping
      done_.notify_one();
    }
  }
}

void ThreadPool::run(std::size_t n, Job job, void* ctx) {
  {
    std::lock_guard lock(mutex_);
    job_ = job, ctx_ = ctx, n_ = n;
    next_.store(0, std::memory_order_relaxed);
    failed_.store(false, std::memory_order_relaxed);
    error_ = nullptr;
    busy_.store(workers_.size(), std::memory_order_relaxed);
    // Never kStop: 2^64 - 1 regions do not happen.
    generation_.store(generation_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  wake_.notify_all();
  take_items();
  std::exception_ptr error;
  auto all_done = [&] { return busy_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(all_done)) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, all_done);
  }
  {
    std::lock_guard lock(mutex_);
    error = error_;
    error_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace scg::detail
