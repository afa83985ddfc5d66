// neg: out = -x. d = -g.
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Neg {
  static constexpr const char* kName = "neg";
  static constexpr CostTerms kTerms = CostTerms::kSumOfOperands;
  template <class X>
  auto operator()(const X& x) const {
    return -x;
  }
  Var grad(const Var&, const Var&, const Var& g) const { return -g; }
};
}  // namespace

Var operator-(const Var& a) { return detail::unary<Neg>(a); }
}  // namespace scg
