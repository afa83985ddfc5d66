// exp: out = e^x. d = g out.
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Exp {
  static constexpr const char* kName = "exp";
  static constexpr int kCost = 4;  // bench/NOTES.md, "Cost model"
  template <class X>
  auto operator()(const X& x) const {
    return ew::exp(x);
  }
  Var grad(const Var&, const Var& out, const Var& g) const { return g * out; }
};
}  // namespace

Var exp(const Var& x) { return detail::unary<Exp>(x); }

bool detail::is_exp(const Op* op) {
  return dynamic_cast<const ElementwiseOp<Exp, 1>*>(op) != nullptr;
}
}  // namespace scg
