// relu: out = max(x, 0). d = g step(x).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Relu {
  static constexpr const char* kName = "relu";
  template <class X>
  auto operator()(const X& x) const {
    return ew::max(x, 0.0);
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g * step(x); }
};
}  // namespace

Var relu(const Var& x) { return detail::unary<Relu>(x); }
}  // namespace scg
