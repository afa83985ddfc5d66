// log: out = ln x. d = g / x. log(exp(t)) is t itself (exact, and never overflows or
// underflows: a likelihood log(expectation(exp(loglik))) keeps its range).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Log {
  static constexpr const char* kName = "log";
  static constexpr int kCost = 4;  // bench/NOTES.md, "Cost model"
  template <class X>
  auto operator()(const X& x) const {
    return ew::log(x);
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g / x; }
};
}  // namespace

Var log(const Var& x) {
  if (!x.empty() && detail::is_exp(x.graph().op(x.id())))
    return x.graph().var(x.graph().inputs(x.id())[0]);
  return detail::unary<Log>(x);
}
}  // namespace scg
