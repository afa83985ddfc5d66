// add: out = a + b (broadcast). d/da = g, d/db = g (summed back over stretched axes).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Add {
  static constexpr const char* kName = "add";
  static constexpr CostTerms kTerms = CostTerms::kSumOfOperands;
  template <class A, class B>
  auto operator()(const A& a, const B& b) const {
    return a + b;
  }
  std::array<Var, 2> grad(const Var&, const Var&, const Var&, const Var& g,
                          std::span<const char>) const {
    return {g, g};
  }
};
}  // namespace

Var operator+(const Var& a, const Var& b) { return detail::binary<Add>(a, b); }
Var operator+(const Var& a, double c) { return a + detail::constant_like(a, c); }
Var operator+(double c, const Var& a) { return detail::constant_like(a, c) + a; }
}  // namespace scg
