// mul: out = a * b (broadcast). d/da = g b, d/db = g a (summed back over stretched axes).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Mul {
  static constexpr const char* kName = "mul";
  static constexpr CostTerms kTerms = CostTerms::kScaledOperand;
  template <class A, class B>
  auto operator()(const A& a, const B& b) const {
    return a * b;
  }
  std::array<Var, 2> grad(const Var& a, const Var& b, const Var&, const Var& g,
                          std::span<const char> needed) const {
    return {needed[0] ? detail::times_gradient(g, b) : Var(),
            needed[1] ? detail::times_gradient(g, a) : Var()};
  }
};
}  // namespace

Var operator*(const Var& a, const Var& b) { return detail::binary<Mul>(a, b); }
Var operator*(const Var& a, double c) { return a * detail::constant_like(a, c); }
Var operator*(double c, const Var& a) { return detail::constant_like(a, c) * a; }
}  // namespace scg
