// The MagicBox surrogate (see surrogate.hpp).
#include "scg/stochastic/grad/detail/surrogate.hpp"

#include <algorithm>
#include <cmath>

#include "scg/core/op.hpp"
#include "scg/core/reverse.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg::detail {

Surrogate::Surrogate(Graph& g, const Dependencies& deps, bool distinct_rho, bool live,
                     double lambda)
    : g_(g), deps_(deps), distinct_rho_(distinct_rho), live_(live), lambda_(lambda) {
  if (lambda_ >= 1.0) return;
  // Depth of each choice: one more than the deepest choice it depends on. A choice's set holds
  // only choices of smaller ids (and itself), so one sweep by id finds them all.
  depth_.assign(deps_.top() + 1, 0);
  for (std::size_t id = 0; id <= deps_.top(); ++id) {
    if (!deps_.is_choice(id)) continue;
    int d = 0;
    const auto deeper = [&](std::size_t c) {
      if (c != id) d = std::max(d, depth_[c] + 1);
    };
    Dependencies::for_each(deps_.local(id), deeper);
    Dependencies::for_each(deps_.full(id), deeper);
    depth_[id] = d;
  }
}

Var Surrogate::box(const Var& t) const { return live_ ? live_magic_box(t) : magic_box(t); }

void Surrogate::prepare_log_probs() {
  for (std::size_t id = 0; id <= deps_.top(); ++id)
    if (deps_.ancestor(id) && deps_.is_choice(id)) log_prob(g_.var(id));
}

// split[v]: the term at v is a linear combination of parts with other weights than its own
// (so the transform rebuilds it from its operands' transforms); otherwise it is boxed whole
// (equivalent then, and one box at the highest point is cheapest). One forward sweep: an
// operand's answer is known before its consumer's.
std::vector<char> Surrogate::splits() const {
  std::vector<char> split(deps_.top() + 1, 0);
  for (std::size_t id = 0; id <= deps_.top(); ++id) {
    if (!deps_.ancestor(id) || deps_.none(id) || deps_.is_choice(id) ||
        g_.kind(id) != NodeKind::kOp)
      continue;
    const auto in = g_.inputs(id);
    std::size_t dependent = 0;
    for (std::size_t i : in) dependent += deps_.none(i) ? 0 : 1;
    // An operand splits the node if it is a term with other weights, or splits itself.
    auto splits_node = [&](std::size_t i) { return !deps_.same(i, id) || split[i]; };
    auto dep_splits = [&](std::size_t i) { return !deps_.none(i) && splits_node(i); };
    bool result = false;
    switch (g_.op(id)->traits().terms) {
      case CostTerms::kSumOfOperands:  // every operand is a term (a deterministic one too)
        result = std::any_of(in.begin(), in.end(), splits_node);
        break;
      case CostTerms::kScaledOperand:  // terms of the one dependent operand, scaled
        result = dependent == 1 && std::any_of(in.begin(), in.end(), dep_splits);
        break;
      case CostTerms::kScaledFirst:
        result = dependent == 1 && !deps_.none(in[0]) && splits_node(in[0]);
        break;
      case CostTerms::kWhole:
        break;
    }
    split[id] = result;
  }
  return split;
}

Var Surrogate::transform(const Var& cost) {
  const std::size_t top = cost.id();
  if (deps_.none(top)) return cost;
  const std::vector<char> split = splits();
  // The nodes the transform visits: the cost, and the choice-dependent operands of visited
  // nodes that split (a reverse sweep), then T of each in a forward sweep.
  std::vector<char> visit(top + 1, 0);
  visit[top] = 1;
  for (std::size_t id = top + 1; id-- > 0;)
    if (visit[id] && split[id])
      for (std::size_t i : g_.inputs(id))
        if (!deps_.none(i)) visit[i] = 1;
  std::vector<Var> in;
  for (std::size_t id = 0; id <= top; ++id) {
    if (!visit[id]) continue;
    Var out;
    if (split[id]) {
      in.clear();
      for (std::size_t i : g_.inputs(id)) in.push_back(transformed(g_.var(i)));
      out = g_.apply(g_.shared_op(id), in);
    } else {
      out = g_.var(id) * weight(id);
      boxed_.push_back(id);
    }
    memo_.emplace(id, out);
  }
  return memo_.at(top);
}

Var Surrogate::transformed(const Var& v) const {
  const auto it = memo_.find(v.id());
  return it == memo_.end() ? v : it->second;
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

// The sum of rho (per row) or sum(rho) (total) over the set s, built as tau(rest) + term(head)
// and memoized per set and rows, so sets that share a tail share its partial sum. A choice of
// G times the node's rows (reached through log_mean_exp groups) adds its rows in groups of G.
Var Surrogate::rho_term(std::size_t s, Eigen::Index rows, bool local) {
  Var term = rho(s);
  if (!local || rows == 0) {
    full_.insert(s);
    return sum(term);
  }
  if (term.rows() != rows) {
    grouped_.insert(s);
    return sum(reshape(term, rows, term.rows() / rows), 1);
  }
  return term;
}

Var Surrogate::tau_sum(DepSet s, Eigen::Index rows) {
  std::vector<DepSet> pending;
  for (DepSet c = s; c && !tau_.count({c, rows}); c = c->rest) pending.push_back(c);
  for (std::size_t k = pending.size(); k-- > 0;) {
    const DepSet c = pending[k];
    const Var term = rho_term(c->choice, rows, rows != 0);
    tau_.emplace(std::pair(c, rows), c->rest ? tau_.at({c->rest, rows}) + term : term);
  }
  return s ? tau_.at({s, rows}) : Var();
}

Var Surrogate::tau(std::size_t id) {
  const Var rows = tau_sum(deps_.local(id), g_.shape(id).rows), total = tau_sum(deps_.full(id), 0);
  if (rows.empty()) return total;
  return total.empty() ? rows : rows + total;
}

Var Surrogate::weight(std::size_t id) {
  if (lambda_ >= 1.0) return box(tau(id));
  return loaded_weight(levels(id));
}

Var Surrogate::before(std::size_t s) {
  if (lambda_ >= 1.0) {
    const Var t = tau(s), r = rho(s);
    return t.id() == r.id() ? Var() : t - r;
  }
  return shifted(levels(s));  // the head level is s alone: its choices all lie deeper
}

// The levels of node id's choices (by depth), built from the smallest depth up: the grouping
// costs O(choices of id) per node, the cells are shared.
const Surrogate::Level* Surrogate::levels(std::size_t id) {
  std::vector<std::pair<int, Dep>> by_depth;
  for (const Dep& d : deps_.list(id)) by_depth.push_back({depth_[d.choice], d});
  std::stable_sort(by_depth.begin(), by_depth.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  const Eigen::Index rows = g_.shape(id).rows;
  const Level* list = nullptr;
  for (std::size_t i = 0; i < by_depth.size();) {
    const int depth = by_depth[i].first;
    std::vector<std::pair<std::size_t, bool>> key;
    std::vector<Dep> choices;
    for (; i < by_depth.size() && by_depth[i].first == depth; ++i) {
      key.push_back({by_depth[i].second.choice, by_depth[i].second.row_local});
      choices.push_back(by_depth[i].second);
    }
    auto [it, fresh] = level_table_.try_emplace({rows, depth, std::move(key), list}, nullptr);
    if (fresh) {
      level_cells_.push_back({rows, depth, std::move(choices), list});
      it->second = &level_cells_.back();
    }
    list = it->second;
  }
  return list;
}

Var Surrogate::shifted(const Level* l) {
  if (!l->rest || lambda_ == 0.0) return {};
  if (auto it = shifted_.find(l); it != shifted_.end()) return it->second;
  const Var out = std::pow(lambda_, l->depth - l->rest->depth) * loaded_w(l->rest);
  shifted_.emplace(l, out);
  return out;
}

// w of each level from the smallest depth up (a loop along the list, no recursion).
Var Surrogate::loaded_w(const Level* l) {
  std::vector<const Level*> pending;
  for (const Level* c = l; c && !w_.count(c); c = c->rest) pending.push_back(c);
  for (std::size_t k = pending.size(); k-- > 0;) {
    const Level* c = pending[k];
    Var level;
    for (const Dep& d : c->choices) {
      const Var t = rho_term(d.choice, c->rows, d.row_local);
      level = level.empty() ? t : level + t;
    }
    const Var prev = shifted(c);
    w_.emplace(c, prev.empty() ? level : prev + level);
  }
  return w_.at(l);
}

Var Surrogate::loaded_weight(const Level* l) {
  std::vector<const Level*> pending;
  for (const Level* c = l; c && !weight_.count(c); c = c->rest) pending.push_back(c);
  for (std::size_t k = pending.size(); k-- > 0;) {
    const Level* c = pending[k];
    Var out = box(loaded_w(c));
    if (c->rest) {
      const Var prev = shifted(c);
      out = weight_.at(c->rest) + out - (prev.empty() ? g_.constant(1.0) : box(prev));
    }
    weight_.emplace(c, out);
  }
  return weight_.at(l);
}

std::vector<Var> score_coefficients(const Var& surrogate, const std::vector<Var>& rhos) {
  return reverse_mode(surrogate, surrogate.graph().constant(1.0), rhos,
                      [](const Var& a, const Var& b) { return a + b; });
}

Var score_cancelling(const Var& rho, const Var& b) { return sum((1.0 - magic_box(rho)) * b); }

}  // namespace scg::detail
