// sqrt: out = sqrt(x). d = g / (2 out).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Sqrt {
  static constexpr const char* kName = "sqrt";
  static constexpr int kCost = 4;  // bench/NOTES.md, "Cost model"
  template <class X>
  auto operator()(const X& x) const {
    return ew::sqrt(x);
  }
  Var grad(const Var&, const Var& out, const Var& g) const { return g / (2.0 * out); }
};
}  // namespace

Var sqrt(const Var& x) { return detail::unary<Sqrt>(x); }
}  // namespace scg
