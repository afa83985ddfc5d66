#pragma once
// Four doubles as one value of the compiler's vector type (GCC and Clang; split into two SSE2
// halves without AVX), for the few kernels whose compare-and-blend or register blocking Eigen
// 3.4 does not vectorize (its select is scalar). Internal: not part of the public API, so no call
// passing these by value crosses a library boundary (hence -Wno-psabi on the library: without
// AVX, GCC notes that such a call would have another ABI than with it).

#include <cstring>

namespace scg::detail {

/// Four doubles: arithmetic and comparisons elementwise, `mask ? a : b` a blend.
using V4 = double __attribute__((vector_size(32)));

/// Four doubles from p (no alignment needed).
inline V4 load4(const double* p) {
  V4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// Four doubles to p (no alignment needed).
inline void store4(double* p, const V4& v) { std::memcpy(p, &v, sizeof v); }

/// x in every lane.
inline V4 splat4(double x) { return V4{x, x, x, x}; }

}  // namespace scg::detail
