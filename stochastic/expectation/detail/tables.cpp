// The factors' tables: each region cloned once per joint state of its scope, with the
// variables replaced by constants, the clones shared through the memo.
#include "scg/stochastic/expectation/detail/tables.hpp"

#include <algorithm>
#include <numeric>

#include "scg/core/error.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"

namespace scg::detail {

Var Tables::state_constant(std::size_t v, std::size_t k) {
  Variable& var = vars_[v];
  if (var.constants.empty()) var.constants.resize(var.states);
  if (var.constants[k].empty()) {
    const Shape shape = g_.shape(var.node);
    Tensor value(shape);
    if (plated_) {
      Tensor unit(1, shape.cols);
      var.op->state(k, unit);
      for (Eigen::Index r = 0; r < shape.rows; ++r) value.matrix().row(r) = unit.matrix().row(0);
    } else {
      var.op->state(k, value);
    }
    var.constants[k] = memo_.constant(std::move(value));
  }
  return var.constants[k];
}

void Tables::clone_region(const Region& r, const std::vector<std::size_t>& states,
                          std::size_t owner) {
  ++stamp_;
  for (std::size_t i = 0; i < r.scope.size(); ++i) {
    const std::size_t node = vars_[r.scope[i]].node;
    in_region_[node] = stamp_;
    clone_[node] = state_constant(r.scope[i], states[i]);
  }
  std::vector<Var> in;
  for (std::size_t id : r.nodes) {
    in_region_[id] = stamp_;
    if (is_frozen_box(g_, id)) {
      clone_[id] = memo_.constant(Tensor(g_.shape(id), 1.0));
      continue;
    }
    if (dynamic_cast<const Distribution*>(g_.op(id))) {
      // A sampled choice that reads variables is sampled afresh per state; two factors reading
      // it would each draw their own sample and lose their correlation.
      if (owner_[id] == SIZE_MAX) owner_[id] = owner;
      if (owner_[id] != owner)
        throw Error(
            "expectation: " + g_.describe(id) +
            " is sampled (sample_continuous), depends on discrete "
            "choices, and is read by two parts of the model (two cost terms, or a cost term and a "
            "choice); expectation cannot keep its samples consistent across them");
    }
    in.clear();
    for (std::size_t i : g_.inputs(id)) in.push_back(cloned(i));
    clone_[id] = memo_.apply(g_.shared_op(id), in);
  }
}

Var Tables::columns(const Var& t, const std::vector<std::size_t>& idx) const {
  bool identity = static_cast<Eigen::Index>(idx.size()) == t.cols();
  for (std::size_t i = 0; identity && i < idx.size(); ++i) identity = idx[i] == i;
  if (identity) return t;
  std::vector<Eigen::Index> from(idx.begin(), idx.end()), to(idx.size());
  std::iota(to.begin(), to.end(), Eigen::Index{0});
  return product_sum({t}, {from}, to, static_cast<Eigen::Index>(idx.size()));
}

Var Tables::reduce(const Var& x, bool per_row) { return per_row ? sum(x, 1) : sum(x); }

bool Tables::for_each_state(const Region& r, std::size_t owner, const std::function<bool()>& f) {
  std::vector<std::size_t> radix;
  for (std::size_t v : r.scope) radix.push_back(vars_[v].states);
  const auto n = static_cast<std::size_t>(size_of(r.scope));
  std::vector<std::size_t> states;
  for (std::size_t c = 0; c < n; ++c) {
    decode_state(c, r.scope, radix, states);
    clone_region(r, states, owner);
    if (!f()) return false;
  }
  return true;
}

Var Tables::table(const Region& r, std::size_t owner, const std::function<Var()>& value) {
  std::vector<Var> cols;
  for_each_state(r, owner, [&] {
    const std::size_t from = g_.size();
    cols.push_back(memo_.canon_since(value(), from));
    return true;
  });
  return cols.size() == 1 ? cols[0] : concat(cols, 1);
}

Var Tables::row_state_table(std::size_t v, const Region& parents,
                            const std::vector<std::size_t>& scope) {
  const Variable& var = vars_[v];
  // Blocks by parent state, each rows x K states: [parent state][state of v], v fastest.
  std::vector<Var> blocks;
  const bool all = for_each_state(parents, SIZE_MAX - 1 - v, [&] {
    std::vector<Var> params;
    for (std::size_t in : g_.inputs(var.node)) params.push_back(cloned(in));
    const std::size_t from = g_.size();
    const Var t = memo_.canon_since(var.op->row_state_log_probs(params, g_.shape(var.node)), from);
    if (!t.empty()) blocks.push_back(t);
    return !t.empty();
  });
  if (!all) return Var();
  // Reorder to the canonical layout over `scope` (ascending, first fastest).
  const std::size_t at =
      static_cast<std::size_t>(std::lower_bound(scope.begin(), scope.end(), v) - scope.begin());
  const std::size_t k_states = var.states;
  std::size_t low = 1;
  for (std::size_t i = 0; i < at; ++i) low *= vars_[scope[i]].states;
  const auto n = static_cast<std::size_t>(size_of(scope));
  // The same blocks in the same layout (a chain's transitions at every step): one table.
  Memo::Key key{at, low, k_states, n};
  for (const Var& b : blocks) key.push_back(b.id());
  Var& memo = log_prob_tables_[key];
  if (!memo.empty()) return memo;
  std::vector<std::size_t> idx(n);
  for (std::size_t c = 0; c < n; ++c) {
    const std::size_t k = (c / low) % k_states, parent = c % low + (c / (low * k_states)) * low;
    idx[c] = parent * k_states + k;
  }
  return memo = columns(blocks.size() == 1 ? blocks[0] : concat(blocks, 1), idx);
}

Var Tables::log_prob_table(std::size_t v, const Region& parents,
                           const std::vector<std::size_t>& scope) {
  const Variable& var = vars_[v];
  if (by_row_states(var.node)) {
    const Var t = row_state_table(v, parents, scope);
    if (!t.empty()) return t;
  }
  Region r = parents;
  r.scope = scope;
  return table(r, SIZE_MAX - 1 - v, [&] {
    // The same distribution at the same (cloned) parameters and state: the node built before.
    std::vector<Var> params;
    for (std::size_t in : g_.inputs(var.node)) params.push_back(cloned(in));
    Memo::Key key = Memo::op_key(var.op);
    key.push_back(cloned(var.node).id());
    for (const Var& p : params) key.push_back(p.id());
    Var& memo = log_probs_[key];
    if (memo.empty()) memo = reduce(var.op->log_prob(params, cloned(var.node)), local(v));
    return memo;
  });
}

Factor Tables::choice_factor(std::size_t v, const Semiring& s) {
  Region r = var_regions_[v];
  r.scope.insert(std::lower_bound(r.scope.begin(), r.scope.end(), v), v);
  check_size(r.scope, "the distribution of " + g_.describe(vars_[v].node));
  const Var lp = log_prob_table(v, var_regions_[v], r.scope);
  return s.choice(r.scope, lp, memo_);
}

Var Tables::choice_term_table(std::size_t v, const Var& w) {
  // Row r, state k gives sum_c w_rc S_kc with S the per-row states, all at once: w S^T.
  const Variable& var = vars_[v];
  const Eigen::Index cols = g_.shape(var.node).cols;
  Tensor unit(1, cols), st(cols, static_cast<Eigen::Index>(var.states));
  for (std::size_t k = 0; k < var.states; ++k) {
    var.op->state(k, unit);
    st.matrix().col(static_cast<Eigen::Index>(k)) = unit.matrix().row(0).transpose();
  }
  // Categorical states are the unit rows (S = I): then the table is w itself.
  const bool unit_rows = st.rows() == st.cols() && st.matrix().isIdentity(0.0);
  return unit_rows ? w : matmul(w, memo_.constant(std::move(st)));
}

Factor Tables::term_factor(std::size_t j, std::size_t t, const Var& w, std::size_t owner,
                           const Semiring& s) {
  const Region& r = term_regions_[j];
  check_size(r.scope, "the cost term " + g_.describe(t));
  // Per row over local choices; a term over global ones only is one row, summed over its rows.
  const bool per_row = local_scope(r.scope);
  Var d;
  if (by_row_states(t) && var_of_[t] >= 0 && !w.empty() && w.shape() == g_.shape(t)) {
    d = choice_term_table(static_cast<std::size_t>(var_of_[t]), w);  // the term is a choice
  } else {
    d = table(r, owner, [&] {
      const Var c = cloned(t);
      return reduce(w.empty() ? c : w * c, per_row);
    });
  }
  return s.term(r.scope, d);
}

}  // namespace scg::detail
