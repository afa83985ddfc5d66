// log1p: out = log(1 + x), accurate for x near 0. d = g / (1 + x).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Log1p {
  static constexpr const char* kName = "log1p";
  static constexpr int kCost = 32;  // bench/NOTES.md, "Cost model"
  template <class X>
  auto operator()(const X& x) const {
    return ew::log1p(x);
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g / (1.0 + x); }
};
}  // namespace

Var log1p(const Var& x) { return detail::unary<Log1p>(x); }
}  // namespace scg
