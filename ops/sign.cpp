// sign: out = -1, 0 or 1 by the sign of x. Derivative 0.
#include "elementwise.hpp"

namespace scg {
namespace {
struct Sign {
  static constexpr const char* kName = "sign";
  template <class X> auto operator()(const X& x) const { return ew::sign(x); }
  Var grad(const Var&, const Var&, const Var&) const { return {}; }
};
}  // namespace

Var sign(const Var& x) { return detail::unary<Sign>(x); }
}  // namespace scg
