// step and sign, the piecewise-constant functions: derivative 0 (no grad member).
//   step: out = 1 where x > 0, else 0.    sign: out = -1, 0 or 1 by the sign of x.
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Step {
  static constexpr const char* kName = "step";
  template <class X>
  auto operator()(const X& x) const {
    return ew::step(x);
  }
};
struct Sign {
  static constexpr const char* kName = "sign";
  template <class X>
  auto operator()(const X& x) const {
    return ew::sign(x);
  }
};
}  // namespace

Var step(const Var& x) { return detail::unary<Step>(x); }
Var sign(const Var& x) { return detail::unary<Sign>(x); }
}  // namespace scg
