// tanh: out = tanh x. d = tanh_backward(out, g) = g (1 - out^2), one fused node whose own
// derivatives are d/dout = -2 g out and d/dg = 1 - out^2.
#include <algorithm>
#include <cmath>

#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct TanhBackward {
  static constexpr const char* kName = "tanh_backward";
  template <class T, class G>
  auto operator()(const T& t, const G& g) const {
    return g * (1.0 - t * t);
  }
  std::array<Var, 2> grad(const Var& t, const Var& g, const Var&, const Var& gg,
                          std::span<const char> needed) const {
    return {needed[0] ? gg * (-2.0 * g * t) : Var(), needed[1] ? gg * (1.0 - square(t)) : Var()};
  }
};

// The value: tanh |x| = e / (e + 2) with e = expm1(2 |x|), and expm1 by Kahan's formula from exp
// and log, (u - 1) z / log u for u = exp(z) (z where u rounds to 1); then x's sign. Eigen 3.4
// vectorizes exp and log for doubles but not tanh or expm1: a scalar libm tanh took about 17 ns
// an element, this about 9, within 3 ulps (tests/ops: against long double). z is clamped to 40,
// where tanh rounds to 1.
struct Tanh {
  static constexpr const char* kName = "tanh";
  static constexpr int kCost = 16;  // bench/NOTES.md, "Cost model"
  /// tanh x from z = min(2 |x|, 40), u = exp(z) and log u: e / (e + 2) as one quotient,
  /// (u - 1) z / ((u - 1) z + 2 log u), or z / (z + 2) where u is 1; every term >= 0, so
  /// nothing cancels.
  static double finish(double x, double z, double u, double log_u) {
    const bool one = u == 1.0;
    const double num = one ? z : (u - 1.0) * z, den = one ? z + 2.0 : num + 2.0 * log_u;
    return x != x ? x : std::copysign(num / den, x);  // NaN stays NaN (the clamp may drop it)
  }
  double operator()(double x) const {
    const double z = std::min(2.0 * std::fabs(x), 40.0), u = std::exp(z);
    return finish(x, z, u, std::log(u));
  }
  void span(const double* x, double* out, std::ptrdiff_t n) const {
    constexpr std::ptrdiff_t kBlock = 256;
    alignas(32) double z[kBlock], u[kBlock], log_u[kBlock];
    for (std::ptrdiff_t i = 0; i < n; i += kBlock) {
      const std::ptrdiff_t m = std::min(kBlock, n - i);
      using Block = Eigen::Map<Eigen::ArrayXd>;
      Block zb(z, m), ub(u, m);
      zb = (2.0 * Eigen::Map<const Eigen::ArrayXd>(x + i, m).abs()).min(40.0);
      ub = zb.exp();
      Block(log_u, m) = ub.log();
      for (std::ptrdiff_t j = 0; j < m; ++j) out[i + j] = finish(x[i + j], z[j], u[j], log_u[j]);
    }
  }
  Var grad(const Var&, const Var& out, const Var& g) const {
    return detail::binary<TanhBackward>(out, g);
  }
};
}  // namespace

Var tanh(const Var& x) { return detail::unary<Tanh>(x); }
}  // namespace scg
