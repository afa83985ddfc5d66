// softplus: out = log(1 + e^x) = max(x, 0) + log1p(e^-|x|) (stable). d = g sigmoid(x).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Softplus {
  static constexpr const char* kName = "softplus";
  static constexpr int kCost = 32;  // bench/NOTES.md, "Cost model"
  template <class X>
  auto operator()(const X& x) const {
    return ew::max(x, 0.0) + ew::log1p_nonneg(ew::exp(-ew::abs(x)));
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g * sigmoid(x); }
};
}  // namespace

Var softplus(const Var& x) { return detail::unary<Softplus>(x); }
}  // namespace scg
