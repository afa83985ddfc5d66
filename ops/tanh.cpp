// tanh: out = tanh x. d = tanh_backward(out, g) = g (1 - out^2), one fused node whose own
// derivatives are d/dout = -2 g out and d/dg = 1 - out^2.
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct TanhBackward {
  static constexpr const char* kName = "tanh_backward";
  template <class T, class G>
  auto operator()(const T& t, const G& g) const {
    return g * (1.0 - t * t);
  }
  std::array<Var, 2> grad(const Var& t, const Var& g, const Var&, const Var& gg,
                          std::span<const char> needed) const {
    return {needed[0] ? gg * (-2.0 * g * t) : Var(), needed[1] ? gg * (1.0 - square(t)) : Var()};
  }
};

struct Tanh {
  static constexpr const char* kName = "tanh";
  static constexpr int kCost = 32;  // bench/NOTES.md, "Cost model"
  template <class X>
  auto operator()(const X& x) const {
    return ew::tanh(x);
  }
  Var grad(const Var&, const Var& out, const Var& g) const {
    return detail::binary<TanhBackward>(out, g);
  }
};
}  // namespace

Var tanh(const Var& x) { return detail::unary<Tanh>(x); }
}  // namespace scg
