// sigmoid: out = 1 / (1 + e^-x) (e^-x = inf gives 0, never NaN).
// d = sigmoid_backward(x, g) = g sigmoid(x) sigmoid(-x) = g e / (1 + e)^2 with e = e^-|x|: one
// fused node, accurate to a few ulps in both tails (g out (1 - out) loses every digit once out
// rounds to 1, from x = 37). Its own derivatives: d/dx = g sigmoid'(x) (-tanh(x / 2)),
// d/dg = sigmoid'(x).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct SigmoidBackward {
  static constexpr const char* kName = "sigmoid_backward";
  template <class X, class G>
  auto operator()(const X& x, const G& g) const {
    const auto e = ew::exp(-ew::abs(x));
    return g * (e / ((1.0 + e) * (1.0 + e)));
  }
  std::array<Var, 2> grad(const Var& x, const Var&, const Var& out, const Var& gg,
                          std::span<const char> needed) const {
    return {needed[0] ? gg * out * -tanh(0.5 * x) : Var(),
            needed[1] ? detail::binary<SigmoidBackward>(x, gg) : Var()};
  }
};

struct Sigmoid {
  static constexpr const char* kName = "sigmoid";
  static constexpr int kCost = 4;  // bench/NOTES.md, "Cost model"
  template <class X>
  auto operator()(const X& x) const {
    return 1.0 / (1.0 + ew::exp(-x));
  }
  Var grad(const Var& x, const Var&, const Var& g) const {
    return detail::binary<SigmoidBackward>(x, g);
  }
};
}  // namespace

Var sigmoid(const Var& x) { return detail::unary<Sigmoid>(x); }
}  // namespace scg
