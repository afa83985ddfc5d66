// sigmoid: out = 1 / (1 + e^-x) (e^-x = inf gives 0, never NaN). d = sigmoid_backward(out, g)
// = g out (1 - out), one fused node whose own derivatives are d/dout = g (1 - 2 out) and
// d/dg = out (1 - out).
#include "elementwise.hpp"

namespace scg {
namespace {
struct SigmoidBackward {
  static constexpr const char* kName = "sigmoid_backward";
  template <class S, class G> auto operator()(const S& s, const G& g) const { return g * (s * (1.0 - s)); }
  std::array<Var, 2> grad(const Var& s, const Var& g, const Var&, const Var& gg,
                          std::span<const char> needed) const {
    return {needed[0] ? gg * g * (1.0 - 2.0 * s) : Var(), needed[1] ? gg * (s * (1.0 - s)) : Var()};
  }
};

struct Sigmoid {
  static constexpr const char* kName = "sigmoid";
  template <class X> auto operator()(const X& x) const { return 1.0 / (1.0 + ew::exp(-x)); }
  Var grad(const Var&, const Var& out, const Var& g) const {
    return detail::binary<SigmoidBackward>(out, g);
  }
};
}  // namespace

Var sigmoid(const Var& x) { return detail::unary<Sigmoid>(x); }
}  // namespace scg
