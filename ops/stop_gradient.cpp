// stop_gradient: out = x; no pathwise derivative (no grad member).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct StopGradient {
  static constexpr const char* kName = "stop_gradient";
  template <class X>
  auto operator()(const X& x) const {
    return x;
  }
};
}  // namespace

Var stop_gradient(const Var& x) { return detail::unary<StopGradient>(x); }
}  // namespace scg
