// sub: out = a - b (broadcast). d/da = g, d/db = -g (summed back over stretched axes).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Sub {
  static constexpr const char* kName = "sub";
  static constexpr CostTerms kTerms = CostTerms::kSumOfOperands;
  template <class A, class B>
  auto operator()(const A& a, const B& b) const {
    return a - b;
  }
  std::array<Var, 2> grad(const Var&, const Var& b, const Var&, const Var& g,
                          std::span<const char> needed) const {
    return {g, needed[1] ? -sum_to(g, b.shape()) : Var()};  // negate after summing: fewer elements
  }
};
}  // namespace

Var operator-(const Var& a, const Var& b) { return detail::binary<Sub>(a, b); }
Var operator-(const Var& a, double c) { return a - detail::constant_like(a, c); }
Var operator-(double c, const Var& a) { return detail::constant_like(a, c) - a; }
}  // namespace scg
