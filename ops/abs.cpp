// abs: out = |x|. d = g sign(x).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Abs {
  static constexpr const char* kName = "abs";
  template <class X>
  auto operator()(const X& x) const {
    return ew::abs(x);
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g * sign(x); }
};
}  // namespace

Var abs(const Var& x) { return detail::unary<Abs>(x); }
}  // namespace scg
