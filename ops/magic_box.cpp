// magic_box: DiCE's MagicBox as one op. Value 1 (t's value is never read, so a plan does not
// compute it); d = g out, so to every order it is exactly exp(t - stop_gradient(t)).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct MagicBox {
  static constexpr const char* kName = "magic_box";
  static constexpr bool kReadsOperand = false;
  template <class X>
  auto operator()(const X& t) const {
    return ew::ones_like(t);
  }
  Var grad(const Var&, const Var& out, const Var& g) const { return g * out; }
};
}  // namespace

Var magic_box(const Var& t) { return detail::unary<MagicBox>(t); }

bool detail::is_magic_box(const Op* op) {
  return dynamic_cast<const ElementwiseOp<MagicBox, 1>*>(op) != nullptr;
}
}  // namespace scg
