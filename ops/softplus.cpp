// softplus: out = log(1 + e^x) = max(x, 0) + log1p(e^-|x|) (stable). d = g sigmoid(x).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Softplus {
  static constexpr const char* kName = "softplus";
  static constexpr int kCost = 16;  // bench/NOTES.md, "Cost model"
  template <class X>
  auto inner(const X& x) const {  // y = e^-|x|
    return ew::exp(-ew::abs(x));
  }
  template <class X, class Y>
  auto outer(const X& x, const Y& y) const {
    return ew::max(x, 0.0) + ew::log1p_nonneg(y);
  }
  template <class X>
  auto operator()(const X& x) const {
    return outer(x, inner(x));
  }
  void span(const double* x, double* out, std::ptrdiff_t n) const {
    ew::staged(
        x, out, n, [&](const auto& a) { return inner(a); },
        [&](const auto& a, const auto& y) { return outer(a, y); });
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g * sigmoid(x); }
};
}  // namespace

Var softplus(const Var& x) { return detail::unary<Softplus>(x); }
}  // namespace scg
