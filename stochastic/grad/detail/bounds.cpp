// The bounds of a choice (see bounds.hpp).
#include "scg/stochastic/grad/detail/bounds.hpp"

#include <algorithm>

#include "scg/core/error.hpp"
#include "scg/ops/detail/helpers.hpp"

namespace scg::detail {
namespace {

bool depends_on(const Dependencies& deps, std::size_t node, std::size_t s) {
  for (const Dep& d : deps.list(node))
    if (d.choice == s) return true;
  return false;
}

void find_bounds(const Graph& g, const Dependencies& deps, std::size_t s, std::size_t v,
                 const std::string& who, bool only_bounds, std::vector<std::size_t>& bounds) {
  std::vector<std::size_t> stack{v};
  while (!stack.empty()) {
    const std::size_t n = stack.back();
    stack.pop_back();
    if (n == s) {
      if (only_bounds)
        throw Error(who + ": the cost reads it outside its log_mean_exp bounds, along " +
                    g.describe(v));
      continue;  // s read directly (not through a bound): no bound there
    }
    const Op* op = g.op(n);
    if (op && is_log_mean_exp(op)) {
      if (std::find(bounds.begin(), bounds.end(), n) == bounds.end()) bounds.push_back(n);
      continue;
    }
    std::vector<std::size_t> dependent;
    const auto in = g.inputs(n);
    for (std::size_t i : in)
      if (depends_on(deps, i, s)) dependent.push_back(i);
    const CostTerms t = op ? op->traits().terms : CostTerms::kWhole;
    const bool linear =
        t == CostTerms::kSumOfOperands ||
        (t == CostTerms::kScaledOperand && dependent.size() == 1) ||
        (t == CostTerms::kScaledFirst && dependent.size() == 1 && dependent[0] == in[0]);
    if (!linear)
      throw Error(who + ": it reaches the cost through log_mean_exp groups inside " +
                  g.describe(n) + "; the cost must be linear in the bound (e.g. its negated sum)");
    stack.insert(stack.end(), dependent.begin(), dependent.end());
  }
}

}  // namespace

std::vector<std::size_t> grouped_bounds(const Graph& g, const Dependencies& deps, std::size_t s,
                                        const Surrogate& builder, const std::string& who,
                                        bool only_bounds) {
  std::vector<std::size_t> bounds;
  for (std::size_t v : builder.boxed()) {
    bool grouped = false, row_by_row = false;
    for (const Dep& d : deps.list(v)) {
      if (d.choice != s) continue;
      const bool in_groups = d.row_local && g.shape(s).rows != g.shape(v).rows;
      grouped = grouped || in_groups;
      row_by_row = row_by_row || !in_groups;
    }
    if (only_bounds && row_by_row)
      throw Error(who + ": the cost term " + g.describe(v) +
                  " reads it outside log_mean_exp bounds; it must reach the cost through such "
                  "bounds only");
    if (grouped) find_bounds(g, deps, s, v, who, only_bounds, bounds);
  }
  std::sort(bounds.begin(), bounds.end());
  return bounds;
}

}  // namespace scg::detail
