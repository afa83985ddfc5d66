// log_sigmoid: out = -softplus(-x) = min(x, 0) - log1p(e^-|x|) (stable). d = g sigmoid(-x).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct LogSigmoid : ew::ExpNegAbsForm<LogSigmoid> {
  static constexpr const char* kName = "log_sigmoid";
  static constexpr int kCost = 16;  // bench/NOTES.md, "Cost model"
  template <class X, class Y>
  static auto outer(const X& x, const Y& y) {  // y = e^-|x|
    return ew::min(x, 0.0) - ew::log1p_nonneg(y);
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g * sigmoid(-x); }
};
}  // namespace

Var log_sigmoid(const Var& x) { return detail::unary<LogSigmoid>(x); }
}  // namespace scg
