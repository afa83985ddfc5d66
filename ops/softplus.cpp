// softplus: out = log(1 + e^x) = max(x, 0) + log1p(e^-|x|) (stable). d = g sigmoid(x).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Softplus : ew::ExpNegAbsForm<Softplus> {
  static constexpr const char* kName = "softplus";
  static constexpr int kCost = 16;  // bench/NOTES.md, "Cost model"
  template <class X, class Y>
  static auto outer(const X& x, const Y& y) {  // y = e^-|x|
    return ew::max(x, 0.0) + ew::log1p_nonneg(y);
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g * sigmoid(x); }
};
}  // namespace

Var softplus(const Var& x) { return detail::unary<Softplus>(x); }
}  // namespace scg
