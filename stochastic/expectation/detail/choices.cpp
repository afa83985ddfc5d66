#include "scg/stochastic/expectation/detail/choices.hpp"

#include "scg/core/distribution.hpp"
#include "scg/core/error.hpp"

namespace scg::detail {

std::string count_str(double n) {
  return n < 1e18 ? std::to_string(static_cast<long long>(n)) : std::to_string(n);
}

bool is_variable(const Graph& g, std::size_t id, const ExpectationOptions& o) {
  const auto* op = dynamic_cast<const Distribution*>(g.op(id));
  if (!op) return false;
  if (op->support() == Support::kFinite) return true;
  if (o.sample_continuous) return false;
  throw Error(
      "expectation: " + g.describe(id) + " is " +
      (op->support() == Support::kContinuous ? "continuous" : "discrete with infinite support") +
      "; expectation sums over choices with finitely many states only (set "
      "ExpectationOptions::sample_continuous to keep it sampled)");
}

void refuse_black_box(const Graph& g, std::size_t id) {
  throw Error(
      "expectation: " + g.describe(id) +
      " is a black_box cost of random choices; its value comes from "
      "outside the graph, so it cannot be evaluated at their other states (use grad's estimators)");
}

}  // namespace scg::detail
