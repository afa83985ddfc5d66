// magic_box: DiCE's MagicBox as one op. Value 1 (t's value is never read, so a plan does not
// compute it); d = g out, so to every order it is exactly exp(t - stop_gradient(t)).
// detail::live_magic_box: the same op under another type, for the boxes of a grad with
// GradOptions::live_boxes (a later grad differentiates through them instead of freezing them).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
template <bool Live>
struct Box {
  static constexpr const char* kName = Live ? "live_magic_box" : "magic_box";
  static constexpr bool kReadsOperand = false;
  template <class X>
  auto operator()(const X& t) const {
    return ew::ones_like(t);
  }
  Var grad(const Var&, const Var& out, const Var& g) const { return g * out; }
};
using MagicBox = Box<false>;
using LiveBox = Box<true>;
}  // namespace

Var magic_box(const Var& t) { return detail::unary<MagicBox>(t); }

Var detail::live_magic_box(const Var& t) { return detail::unary<LiveBox>(t); }

bool detail::is_magic_box(const Op* op) {
  return dynamic_cast<const ElementwiseOp<MagicBox, 1>*>(op) != nullptr;
}

bool detail::is_live_box(const Op* op) {
  return dynamic_cast<const ElementwiseOp<LiveBox, 1>*>(op) != nullptr;
}
}  // namespace scg
