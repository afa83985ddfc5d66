// expm1: out = e^x - 1, accurate for x near 0. d = g (out + 1).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Expm1 {
  static constexpr const char* kName = "expm1";
  static constexpr int kCost = 32;  // bench/NOTES.md, "Cost model"
  template <class X>
  auto operator()(const X& x) const {
    return ew::expm1(x);
  }
  Var grad(const Var&, const Var& out, const Var& g) const { return g * (out + 1.0); }
};
}  // namespace

Var expm1(const Var& x) { return detail::unary<Expm1>(x); }
}  // namespace scg
