// square: out = x^2. d = 2 g x.
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Square {
  static constexpr const char* kName = "square";
  template <class X>
  auto operator()(const X& x) const {
    return x * x;
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g * (2.0 * x); }
};
}  // namespace

Var square(const Var& x) { return detail::unary<Square>(x); }
}  // namespace scg
