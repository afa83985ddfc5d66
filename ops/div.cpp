// div: out = a / b (broadcast). d/da = g / b, d/db = -(g / b) out (summed back over stretched
// axes; g / b is one node shared by both).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Div {
  static constexpr const char* kName = "div";
  static constexpr CostTerms kTerms = CostTerms::kScaledFirst;
  template <class A, class B>
  auto operator()(const A& a, const B& b) const {
    return a / b;
  }
  std::array<Var, 2> grad(const Var&, const Var& b, const Var& out, const Var& g,
                          std::span<const char> needed) const {
    const Var q = g / b;
    return {needed[0] ? q : Var(), needed[1] ? -(q * out) : Var()};
  }
};
}  // namespace

Var operator/(const Var& a, const Var& b) { return detail::binary<Div>(a, b); }
Var operator/(const Var& a, double c) { return a / detail::constant_like(a, c); }
Var operator/(double c, const Var& a) { return detail::constant_like(a, c) / a; }
}  // namespace scg
