// maximum(a, b), minimum(a, b): elementwise with broadcasting. The gradient goes to the
// larger (smaller) operand; at ties, to b. d/da = g step(a - b), d/db = g (1 - step(a - b))
// for maximum, the mirror for minimum.
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
template <bool kLargest>
struct Extreme {
  static constexpr const char* kName = kLargest ? "maximum" : "minimum";
  template <class A, class B>
  auto operator()(const A& a, const B& b) const {
    if constexpr (kLargest)
      return ew::max(a, b);
    else
      return ew::min(a, b);
  }
  std::array<Var, 2> grad(const Var& a, const Var& b, const Var&, const Var& g,
                          std::span<const char> needed) const {
    const Var pick_a = step(kLargest ? a - b : b - a);
    return {needed[0] ? g * pick_a : Var(), needed[1] ? g * (1.0 - pick_a) : Var()};
  }
};
}  // namespace

Var maximum(const Var& a, const Var& b) { return detail::binary<Extreme<true>>(a, b); }
Var minimum(const Var& a, const Var& b) { return detail::binary<Extreme<false>>(a, b); }
}  // namespace scg
