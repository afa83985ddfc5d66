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

std::size_t Tables::rows_of(std::size_t id) const {
  return static_cast<std::size_t>(g_.shape(id).rows);
}

bool Tables::label_region(const Region& r) {
  // Ascending ids are topological, and a region node's dependent operands are variables or
  // nodes of the same region (frozen boxes are constants in clones: global).
  for (std::size_t id : r.nodes) {
    if (label_[id] != kUnlabeled) continue;
    std::size_t plate = 0;
    const auto in = g_.inputs(id);
    if (!is_frozen_box(g_, id)) {
      for (std::size_t i : in) {
        if (!dep_[i] || label_[i] == 0) continue;
        if (plate != 0 && label_[i] != plate)
          return mix(id, "reads choices of two plates (different row counts)");
        plate = label_[i];
      }
      if (plate != 0 && rows_of(id) != plate)
        return mix(id, "reads the " + std::to_string(plate) + " rows of a choice into " +
                           std::to_string(rows_of(id)) + (rows_of(id) == 1 ? " row" : " rows"));
      for (std::size_t i = 0; plate != 0 && i < in.size(); ++i)
        if (dep_[in[i]] && label_[in[i]] == plate && !g_.op(id)->row_local(i))
          return mix(id, "reads operand " + std::to_string(i) + "'s rows across");
    }
    label_[id] = plate;
  }
  return true;
}

bool Tables::label_variable(std::size_t v) {
  // A local choice's parameters are per row of its plate or global; a global choice's global.
  const std::size_t node = vars_[v].node, plate = label_[node];
  for (std::size_t in : g_.inputs(node)) {
    if (!dep_[in] || label_[in] == 0) continue;
    if (label_[in] != plate || rows_of(in) != plate)
      return mix(node, "has parameters that read per-row choices of another plate");
  }
  return true;
}

void Tables::find_plates() {
  // Plates: a choice of R > 1 rows is local (per row, its own state), a one-row choice global.
  // Every node between them and the factors is labelled by the plate of the local choices it
  // reads (0: global only); the model is plated when no node reads two plates, sums or spreads
  // a plate's rows, or reads them across (a non-row-local operand), and every local choice's
  // rows are independent. Otherwise no choice is split into rows (mix_why_ says why).
  plated_ = false;
  mix_why_.clear();
  bool any_rows = false;
  label_.assign(top_ + 1, kUnlabeled);
  for (std::size_t v = 0; v < vars_.size(); ++v) {
    if (!reached_[v]) continue;
    const std::size_t r = rows_of(vars_[v].node);
    any_rows = any_rows || r > 1;
    label_[vars_[v].node] = r > 1 ? r : 0;
    if (r > 1 && vars_[v].op->distribution_traits().layout == StateLayout::kJoint &&
        mix_why_.empty())
      mix(vars_[v].node, "couples its rows");
  }
  if (!any_rows || !mix_why_.empty()) return;
  for (const Region& r : term_regions_)
    if (!label_region(r)) return;
  for (std::size_t v = 0; v < vars_.size(); ++v)
    if (reached_[v] && !(label_region(var_regions_[v]) && label_variable(v))) return;
  plated_ = true;
}

bool Tables::local(std::size_t v) const { return plated_ && label_[vars_[v].node] != 0; }

std::vector<char> Tables::locals() const {
  std::vector<char> out;
  if (plated_)
    for (std::size_t v = 0; v < vars_.size(); ++v) out.push_back(local(v) ? 1 : 0);
  return out;
}

bool Tables::local_scope(const std::vector<std::size_t>& scope) const {
  return std::any_of(scope.begin(), scope.end(), [&](std::size_t v) { return local(v); });
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
  find_plates();
  count_states();
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
                  (plated_ || s.rows == 1 ? "" : joint_rows_reason()));
    vars_[v].states = static_cast<std::size_t>(count);
  }
}

std::string Tables::joint_rows_reason() const {
  return mix_why_.empty()
             ? ""
             : "; its rows are summed jointly because the model mixes them: " + mix_why_;
}

bool Tables::mix(std::size_t id, const std::string& why) {
  mix_why_ = g_.describe(id) + " " + why;
  return false;
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
