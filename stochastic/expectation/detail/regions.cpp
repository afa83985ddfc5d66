// The variables, the regions their factors read, the plates, and the tables' layouts.
#include <algorithm>
#include <iterator>

#include "scg/core/error.hpp"
#include "scg/stochastic/expectation/detail/choices.hpp"
#include "scg/stochastic/expectation/detail/tables.hpp"
#include "scg/stochastic/grad/detail/below.hpp"

namespace scg::detail {

bool Tables::find_variables() {
  var_of_.assign(top_ + 1, -1);
  dep_ = sweep_below(g_, g_.ancestors(std::vector<std::size_t>{top_}), 0, top_,
                     [&](std::size_t id, bool reads) {
                       const bool below = reads || is_frozen_box(g_, id);
                       if (below && is_black_box(g_.op(id))) refuse_black_box(g_, id);
                       if (!is_variable(g_, id, opt_)) return below;
                       var_of_[id] = static_cast<int>(vars_.size());
                       vars_.push_back({id, static_cast<const Distribution*>(g_.op(id)), 0, {}});
                       return true;
                     });
  g_.mark_cost(top_);
  if (!dep_[top_]) return false;
  in_region_.assign(top_ + 1, 0);
  clone_.assign(top_ + 1, Var());
  owner_.assign(top_ + 1, SIZE_MAX);
  return true;
}

Region Tables::region(const std::vector<std::size_t>& targets) {
  Region r;
  ++stamp_;
  std::vector<std::size_t> stack;
  for (std::size_t t : targets)
    if (dep_[t]) stack.push_back(t);
  while (!stack.empty()) {
    const std::size_t id = stack.back();
    stack.pop_back();
    if (in_region_[id] == stamp_) continue;
    in_region_[id] = stamp_;
    if (var_of_[id] >= 0) {
      r.scope.push_back(static_cast<std::size_t>(var_of_[id]));
      continue;
    }
    r.nodes.push_back(id);
    if (is_frozen_box(g_, id)) continue;  // constant 1 in clones
    for (std::size_t in : g_.inputs(id))
      if (dep_[in] && in_region_[in] != stamp_) stack.push_back(in);
  }
  std::sort(r.nodes.begin(), r.nodes.end());
  std::sort(r.scope.begin(), r.scope.end());
  return r;
}

bool Tables::plated_ok(const Region& r) const {
  for (std::size_t id : r.nodes) {
    if (static_cast<std::size_t>(g_.shape(id).rows) != rows_) return false;
    if (is_frozen_box(g_, id)) continue;
    const auto in = g_.inputs(id);
    for (std::size_t i = 0; i < in.size(); ++i)
      if (dep_[in[i]] &&
          (!g_.op(id)->row_local(i) || static_cast<std::size_t>(g_.shape(in[i]).rows) != rows_))
        return false;
  }
  return true;
}

void Tables::find_regions(const std::vector<std::size_t>& terms) {
  term_regions_.clear();
  for (std::size_t t : terms) term_regions_.push_back(region({t}));
  reached_.assign(vars_.size(), 0);
  std::vector<std::size_t> work;
  auto reach = [&](const Region& r) {
    for (std::size_t v : r.scope)
      if (!reached_[v]) reached_[v] = 1, work.push_back(v);
  };
  for (const Region& r : term_regions_) reach(r);
  var_regions_.assign(vars_.size(), Region());
  while (!work.empty()) {
    const std::size_t v = work.back();
    work.pop_back();
    std::vector<std::size_t> params;
    for (std::size_t in : g_.inputs(vars_[v].node)) params.push_back(in);
    var_regions_[v] = region(params);
    reach(var_regions_[v]);
  }
  find_plates(terms);
  count_states();
}

void Tables::find_plates(const std::vector<std::size_t>& terms) {
  // Every reached variable with the same R > 1 rows, every region row-local.
  std::size_t rows = 0;
  plated_ = true;
  mixed_rows_ = false;
  for (std::size_t v = 0; v < vars_.size(); ++v) {
    if (!reached_[v]) continue;
    const auto r = static_cast<std::size_t>(g_.shape(vars_[v].node).rows);
    if (rows == 0) rows = r;
    mixed_rows_ = mixed_rows_ || r != rows;
    plated_ = plated_ && r == rows && r > 1;
  }
  rows_ = rows;
  for (std::size_t i = 0; i < terms.size() && plated_; ++i)
    plated_ =
        static_cast<std::size_t>(g_.shape(terms[i]).rows) == rows_ && plated_ok(term_regions_[i]);
  for (std::size_t v = 0; v < vars_.size() && plated_; ++v)
    if (reached_[v]) plated_ = plated_ok(var_regions_[v]);
  if (!plated_) rows_ = 1;
}

void Tables::count_states() {
  for (std::size_t v = 0; v < vars_.size(); ++v) {
    if (!reached_[v]) continue;
    const Shape s = g_.shape(vars_[v].node);
    const double count = vars_[v].op->state_count(plated_ ? Shape{1, s.cols} : s);
    if (count > opt_.max_states)
      throw Error("expectation: " + g_.describe(vars_[v].node) + " alone has " + count_str(count) +
                  " states" + (plated_ ? " per row" : "") +
                  ", above ExpectationOptions::max_states (" + count_str(opt_.max_states) + ")" +
                  (plated_ || s.rows == 1 ? ""
                   : mixed_rows_
                       ? "; its rows are summed jointly because the model's choices have "
                         "different row counts (a choice of one row above per-row choices: "
                         "nested plates, which expectation does not split into plates yet)"
                       : "; its rows are summed jointly because the model mixes them"));
    vars_[v].states = static_cast<std::size_t>(count);
  }
}

std::vector<std::size_t> Tables::states() const {
  std::vector<std::size_t> out;
  for (const Variable& v : vars_) out.push_back(v.states);
  return out;
}

double Tables::size_of(const std::vector<std::size_t>& scope) const {
  double n = 1;
  for (std::size_t v : scope) n *= static_cast<double>(vars_[v].states);
  return n;
}

// Decodes column c of a table over `scope` into per-variable states.
void decode_state(std::size_t c, const std::vector<std::size_t>& scope,
                  const std::vector<std::size_t>& radix, std::vector<std::size_t>& states) {
  states.resize(scope.size());
  for (std::size_t i = 0; i < scope.size(); ++i) states[i] = c % radix[i], c /= radix[i];
}

std::vector<Eigen::Index> Tables::expand_index(const std::vector<std::size_t>& from,
                                               const std::vector<std::size_t>& to) const {
  std::vector<std::size_t> radix_to, pos, stride_from(from.size());
  for (std::size_t v : to) radix_to.push_back(vars_[v].states);
  std::size_t s = 1;
  for (std::size_t i = 0; i < from.size(); ++i) {
    stride_from[i] = s, s *= vars_[from[i]].states;
    pos.push_back(
        static_cast<std::size_t>(std::lower_bound(to.begin(), to.end(), from[i]) - to.begin()));
  }
  const auto n = static_cast<std::size_t>(size_of(to));
  std::vector<Eigen::Index> idx(n);
  std::vector<std::size_t> states;
  for (std::size_t c = 0; c < n; ++c) {
    decode_state(c, to, radix_to, states);
    std::size_t f = 0;
    for (std::size_t i = 0; i < from.size(); ++i) f += states[pos[i]] * stride_from[i];
    idx[c] = static_cast<Eigen::Index>(f);
  }
  return idx;
}

std::string Tables::describe_scope(const std::vector<std::size_t>& scope) const {
  std::string s;
  const std::size_t shown = std::min<std::size_t>(scope.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + g_.describe(vars_[scope[i]].node);
  if (shown < scope.size()) s += " and " + std::to_string(scope.size() - shown) + " more";
  return s;
}

void Tables::check_size(const std::vector<std::size_t>& scope, const std::string& what) const {
  const double n = size_of(scope);
  if (n > opt_.max_states)
    throw Error("expectation: " + what + " needs a factor over " + std::to_string(scope.size()) +
                " choices (" + describe_scope(scope) + ") with " + count_str(n) + " joint states" +
                (plated_ ? " per row" : "") + ", above ExpectationOptions::max_states (" +
                count_str(opt_.max_states) +
                "). Raise max_states, or give the model fewer interacting choices (a smaller "
                "treewidth; choices "
                "whose rows stay apart are summed row by row)");
}

Contraction Tables::contraction(const EliminationPlan& plan, const EliminationStep& step) const {
  // Joint state c of the step's scope (v's state (c / stride) % K) adds into state low + high
  // stride of the result, whose scope lacks v.
  const std::vector<std::size_t>& scope = step.scope;
  const std::size_t v = step.variable;
  const std::size_t at =
      static_cast<std::size_t>(std::lower_bound(scope.begin(), scope.end(), v) - scope.begin());
  std::size_t stride = 1;
  for (std::size_t i = 0; i < at; ++i) stride *= vars_[scope[i]].states;
  const std::size_t k_states = vars_[v].states;
  const auto n = static_cast<std::size_t>(size_of(scope));
  Contraction c;
  c.out.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    c.out[i] = static_cast<Eigen::Index>(i % stride + (i / (stride * k_states)) * stride);
  c.cols = static_cast<Eigen::Index>(n / k_states);
  for (std::size_t f : step.consumed) c.index.push_back(expand_index(plan.scopes[f], scope));
  return c;
}

}  // namespace scg::detail
