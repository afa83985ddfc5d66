// The MagicBox surrogate (see surrogate.hpp).
#include "surrogate.hpp"

#include <algorithm>

#include "../core/op.hpp"
#include "../ops/ops.hpp"
#include "distributions.hpp"

namespace scg::detail {

Surrogate::Surrogate(Graph& g, const Dependencies& deps, bool distinct_rho)
    : g_(g), deps_(deps), distinct_rho_(distinct_rho) {}

void Surrogate::prepare_log_probs() {
  for (std::size_t id = 0; id <= deps_.top(); ++id)
    if (deps_.ancestor(id) && is_score_choice(g_, id)) log_prob(g_.var(id));
}

Var Surrogate::transform(const Var& v) {
  if (deps_.of(v.id()).empty()) return v;
  if (auto it = memo_.find(v.id()); it != memo_.end()) return it->second;
  std::vector<Var> in;
  for (std::size_t i : g_.inputs(v.id())) in.push_back(g_.var(i));
  Var out;
  if (splits(v.id())) {
    for (Var& x : in) x = transform(x);
    out = g_.apply(g_.shared_op(v.id()), in);
  } else {
    out = v * magic_box(tau(deps_.of(v.id())));
  }
  memo_.emplace(v.id(), out);
  return out;
}

// True if the cost term at `id` is a linear combination of parts with other weights than
// its own (so T recurses into it); false: it is boxed whole (equivalent then, and one box at
// the highest point is cheapest).
bool Surrogate::splits(std::size_t id) {
  if (auto it = splits_.find(id); it != splits_.end()) return it->second;
  bool result = false;
  const DepList& own = deps_.of(id);
  if (g_.kind(id) == NodeKind::kOp && !is_score_choice(g_, id) && !own.empty()) {
    const auto in = g_.inputs(id);
    std::size_t dependent = 0;
    for (std::size_t i : in) dependent += deps_.of(i).empty() ? 0 : 1;
    // An operand splits the node if it is a term with other weights, or splits itself.
    auto splits_node = [&](std::size_t i) { return !same_deps(deps_.of(i), own) || splits(i); };
    auto dep_splits = [&](std::size_t i) { return !deps_.of(i).empty() && splits_node(i); };
    switch (g_.op(id)->traits().terms) {
      case CostTerms::kSumOfOperands:  // every operand is a term (a deterministic one too)
        result = std::any_of(in.begin(), in.end(), splits_node);
        break;
      case CostTerms::kScaledOperand:  // terms of the one dependent operand, scaled
        result = dependent == 1 && std::any_of(in.begin(), in.end(), dep_splits);
        break;
      case CostTerms::kScaledFirst:
        result = dependent == 1 && !deps_.of(in[0]).empty() && splits_node(in[0]);
        break;
      case CostTerms::kWhole: break;
    }
  }
  splits_.emplace(id, result);
  return result;
}

Var Surrogate::rho(std::size_t s) {
  if (auto it = rho_.find(s); it != rho_.end()) return it->second;
  Var r = sum(log_prob(g_.var(s)), 1);
  // Baselines differentiate the surrogate with respect to rho: it must then be a node of
  // its own, not the user's log_prob node (which the cost may use too).
  if (distinct_rho_ && r.id() == log_prob(g_.var(s)).id()) r = r + 0.0;
  rho_.emplace(s, r);
  return r;
}

Var Surrogate::tau(const DepList& d) {
  Var rows, total;
  for (const Dep& x : d) {
    if (x.row_local) {
      rows = rows.empty() ? rho(x.choice) : rows + rho(x.choice);
    } else {
      full_.insert(x.choice);
      const Var t = sum(rho(x.choice));
      total = total.empty() ? t : total + t;
    }
  }
  if (rows.empty()) return total;
  return total.empty() ? rows : rows + total;
}

}  // namespace scg::detail
