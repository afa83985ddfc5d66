// step: out = 1 where x > 0, else 0. Derivative 0.
#include "elementwise.hpp"

namespace scg {
namespace {
struct Step {
  static constexpr const char* kName = "step";
  template <class X> auto operator()(const X& x) const { return ew::step(x); }
  Var grad(const Var&, const Var&, const Var&) const { return {}; }
};
}  // namespace

Var step(const Var& x) { return detail::unary<Step>(x); }
}  // namespace scg
