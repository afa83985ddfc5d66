// clamp: out = min(max(x, lo), hi). d = g where lo < x < hi, else 0.
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Clamp {
  static constexpr const char* kName = "clamp";
  double lo, hi;
  std::string label() const { return "clamp " + std::to_string(lo) + " " + std::to_string(hi); }
  template <class X>
  auto operator()(const X& x) const {
    return ew::min(ew::max(x, lo), hi);
  }
  Var grad(const Var& x, const Var&, const Var& g) const {
    return g * (step(x - lo) * step(hi - x));
  }
};
}  // namespace

Var clamp(const Var& v, double lo, double hi) {
  if (!(lo <= hi))
    throw Error("clamp(" + v.describe() + ", " + std::to_string(lo) + ", " + std::to_string(hi) +
                "): lo must not exceed hi");
  return detail::unary(v, Clamp{lo, hi});
}
}  // namespace scg
