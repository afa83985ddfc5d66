// expectation: E[cost] over the finite discrete choices among the cost's ancestors.
//
// Variable elimination (the default, for a 1x1 cost):
//   1. Variables: the finite discrete stochastic ancestors. A node is "dependent" if it reads
//      a variable (through any path). Continuous ones throw, or with sample_continuous stay
//      sampled: they are ordinary nodes, cloned (sampled afresh) where they read a variable.
//   2. Terms: from the cost down through linear ops (add, sub, neg, sum, transpose: CostTerms
//      kSumOfOperands; mul, matmul, div with one dependent operand) to the first nonlinear
//      dependent nodes c_j. The cost is affine in them: cost = L(0) + sum_j sum(W_j .* c_j) with
//      W_j = d cost / d c_j (reverse mode over the linear part, free of variables) and L(0)
//      the linear part with every term set to 0.
//   3. Factors, one table per factor over the joint states of its scope (the variables its
//      region reads; a region is the dependent non-variable nodes between them and the
//      factor, cloned once per joint state with the variables replaced by constants):
//        variable v:  (p(v | its parents), 0)        term j: (1, sum(W_j .* c_j))
//      as pairs (a, b) of the expectation semiring: (a1, b1) (a2, b2) = (a1 a2, a1 b2 + b1 a2),
//      summed componentwise. Multiplying every factor and summing every variable out gives
//      (1, E[cost - L(0)]). A cost exp(x) is a product instead (a likelihood): x's terms give
//      factors exp(d_j), and the product of all, summed, is E[exp(x - L(0))]. Those factors are
//      kept as log-tables (d_j; log p for the choices) and each step is one log_product_sum
//      (log-sum-exp of the aligned log-tables' sums, shifted per row by the largest), so
//      however many small factors meet in a step, nothing underflows or overflows.
//   4. Elimination: variables in groups that share no factor (boost::connected_components),
//      each group in minimum-degree order (boost::minimum_degree_ordering on the variables'
//      interaction graph); each step multiplies the factors holding one variable and sums it
//      out. Tables have one column per joint state (and one row per plate row, below); one
//      product_sum node aligns the tables of a step, multiplies them and sums the variable out,
//      so the result differentiates like any node (to any order).
//   Plates: when every variable has the same R > 1 rows and every node in every region keeps
//   rows apart (row-local ops on R-row operands), row r only ever meets row r: tables have R
//   rows and states per row, so a 64-row NOT gate costs 64 x 2 states, not 2^64.
//   Shared work: clones of the same op on the same operands are one node (an HMM's transition
//   table is built once, not once per step, and its gradients meet there).
//
// The joint reference (options.joint, or a cost that is not 1x1) clones the whole affected
// graph once per joint state.
//
// MagicBox nodes built by grad are frozen in the clones (constant 1): a node built by grad is
// a function of the parameters and the choices it read, and its expectation differentiates as
// such (docs/higher_order.md).
#include "scg/stochastic/expectation/expectation.hpp"

#include <algorithm>
#include <bit>
#include <boost/container_hash/hash.hpp>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/minimum_degree_ordering.hpp>
#include <numeric>
#include <set>
#include <unordered_map>

#include "scg/core/distribution.hpp"
#include "scg/core/error.hpp"
#include "scg/core/reverse.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"

namespace scg {
namespace {

std::string count_str(double n) {
  return n < 1e18 ? std::to_string(static_cast<long long>(n)) : std::to_string(n);
}

/// Throws for a stochastic ancestor that is not finite, unless it may stay sampled.
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

// ---- the joint reference ----

Var expectation_joint(const Var& cost, const ExpectationOptions& options) {
  Graph& g = cost.graph();
  const std::size_t top = cost.id();
  const std::vector<char> anc = g.ancestors(std::vector<std::size_t>{top});
  std::vector<char> affected(top + 1, 0), variable(top + 1, 0);
  double total = 1.0;
  std::size_t n_choices = 0;
  for (std::size_t id = 0; id <= top; ++id) {
    if (!anc[id]) continue;
    for (std::size_t in : g.inputs(id)) affected[id] |= affected[in];
    if (detail::is_frozen_box(g, id)) affected[id] = 1;
    if (affected[id] && detail::is_black_box(g.op(id))) refuse_black_box(g, id);
    if (!is_variable(g, id, options)) continue;
    variable[id] = affected[id] = 1;
    ++n_choices;
    total *= static_cast<const Distribution*>(g.op(id))->state_count(g.shape(id));
  }
  if (total > options.max_states)
    throw Error("expectation: " + std::to_string(n_choices) + " discrete choices have " +
                count_str(total) + " joint states, above the limit of " +
                count_str(options.max_states) + " (ExpectationOptions::max_states)");
  g.mark_cost(top);
  if (!affected[top]) return cost;
  const auto states = static_cast<std::size_t>(total);
  std::vector<Var> clone(top + 1);
  Var result;
  for (std::size_t k = 0; k < states; ++k) {
    std::size_t index = k;
    Var logp;
    for (std::size_t id = 0; id <= top; ++id) {
      if (!anc[id]) continue;
      if (!affected[id]) {
        clone[id] = g.var(id);
        continue;
      }
      if (detail::is_frozen_box(g, id)) {
        clone[id] = g.constant(Tensor(g.shape(id), 1.0));
        continue;
      }
      std::vector<Var> in;
      for (std::size_t i : g.inputs(id)) in.push_back(clone[i]);
      if (variable[id]) {
        const auto* op = static_cast<const Distribution*>(g.op(id));
        const Shape shape = g.shape(id);
        const auto radix = static_cast<std::size_t>(op->state_count(shape));
        Tensor value(shape);
        op->state(index % radix, value);
        index /= radix;
        clone[id] = g.constant(std::move(value));
        const Var lp = sum(op->log_prob(in, clone[id]));
        logp = logp.empty() ? lp : logp + lp;
      } else {
        clone[id] = g.apply(g.shared_op(id), in);
      }
    }
    const Var term = logp.empty() ? clone[top] : exp(logp) * clone[top];
    result = result.empty() ? term : result + term;
  }
  return result;
}

// ---- variable elimination ----

/// A factor: tables over the joint states of `scope` (variable indices, ascending; the first
/// varies fastest), plate rows x states (one row unless plated). a empty: all ones; b
/// empty: all zeros.
struct Factor {
  std::vector<std::size_t> scope;
  Var a, b;
};

/// The dependent non-variable nodes between a factor's targets and the variables they read.
struct Region {
  std::vector<std::size_t> nodes;  // ascending
  std::vector<std::size_t> scope;  // variable indices, ascending
};

class Eliminator {
 public:
  Eliminator(const Var& cost, const ExpectationOptions& o)
      : g_(cost.graph()), top_(cost.id()), opt_(o) {}
  Var run();

 private:
  struct Variable {
    std::size_t node;
    const Distribution* op;
    std::size_t states;          // per row when plated, else of the whole node
    std::vector<Var> constants;  // by state, made on first use
  };
  Region region(const std::vector<std::size_t>& targets);
  bool plated_ok(const Region& r) const;
  /// Clones region r with its scope's variables at `states` (by position in r.scope); returns
  /// the clone of node `id` (the original where id is not in the region).
  Var cloned(std::size_t id) const { return in_region_[id] == stamp_ ? clone_[id] : g_.var(id); }
  void clone_region(const Region& r, const std::vector<std::size_t>& states, std::size_t owner);
  Var state_constant(std::size_t v, std::size_t k);
  Var reduce(const Var& x) const { return plated_ ? sum(x, 1) : sum(x); }
  /// True if a choice's states are the states of one row (plated, or a one-row choice): its
  /// tables can then be built for every state at once, row by row.
  bool by_row_states(std::size_t node) const { return plated_ || g_.shape(node).rows == 1; }
  /// States `idx` of table t (its columns).
  Var columns(const Var& t, const std::vector<std::size_t>& idx) const;
  /// For each joint state of `to`, the joint state of `from` (a subset) it contains.
  std::vector<Eigen::Index> expand_index(const std::vector<std::size_t>& from,
                                         const std::vector<std::size_t>& to) const;
  /// Multiplies the factors holding v and sums v out, in one product_sum per table: the
  /// factor over the other variables of their scopes.
  Factor eliminate(const std::vector<Factor>& bucket, std::size_t v) const;
  double size_of(const std::vector<std::size_t>& scope) const;
  std::string describe_scope(const std::vector<std::size_t>& scope) const;
  void check_size(const std::vector<std::size_t>& scope, const std::string& what) const;
  /// The product of factors with no scope left (one entry each, per plate row).
  Factor multiply(const std::vector<Factor>& fs) const;
  /// log p(v | parents) for every joint state of `scope` (v and its parents; `parents` is v's
  /// region): per parent state, the distribution's per-row table of every state of v when it
  /// has one (plated), else log_prob once per state of v.
  Var log_prob_table(std::size_t v, const Region& parents, const std::vector<std::size_t>& scope);
  /// Clones region r at each joint state of r.scope in table order (the first choice fastest)
  /// and calls f after each, until f returns false; true if it never did.
  bool for_each_state(const Region& r, std::size_t owner, const std::function<bool()>& f);
  /// The table of a factor: one value per joint state of r.scope, from `value` (called with the
  /// region cloned at that state).
  Var table(const Region& r, std::size_t owner, const std::function<Var()>& value);

  /// A constant node with this value: one per distinct value (the same state of two choices
  /// of one kind is one node), so clones that read it can be shared.
  Var constant(Tensor value) const;
  /// op(in), or the node already made for the same op and operands (deterministic, stateless
  /// ops give the same value for the same operands). Clones of the same computation at the
  /// same states (an HMM's transition table at every step) are then built and run once, and
  /// their gradients meet in one place.
  Var apply(const std::shared_ptr<const Op>& op, const std::vector<Var>& in);
  /// v, or the node made before it for the same op and operands (v is then left unused).
  Var canon(const Var& v);
  /// v with every node from id `from` on (what one call built, e.g. a log_prob) made
  /// canonical: the same computation on the same operands as before is the earlier node.
  Var canon_since(const Var& v, std::size_t from);

  Graph& g_;
  std::size_t top_;
  const ExpectationOptions& opt_;
  // Memos, hashed (constant time per lookup, so building stays linear in the model's size).
  using Key = std::vector<std::uint64_t>;
  using Memo = std::unordered_map<Key, Var, boost::hash<Key>>;
  static Key op_key(const Op* op) { return {reinterpret_cast<std::uintptr_t>(op)}; }
  Memo applied_;            // by op and operand ids
  mutable Memo constants_;  // by shape and bits
  Memo log_prob_tables_;    // by their blocks and layout
  Memo log_probs_;          // by distribution, state and parameters
  std::vector<char> dep_;
  std::vector<int> var_of_;
  std::vector<Variable> vars_;
  bool plated_ = false;
  /// A likelihood (cost exp(x)): factors are log-tables (a = log factor, b unused), multiplied
  /// and summed out by log_product_sum, so no product of many small factors underflows.
  bool product_mode = false;
  std::size_t rows_ = 1;
  // Region scratch: a node is in the current region iff in_region_[id] == stamp_.
  std::vector<std::uint32_t> in_region_;
  std::uint32_t stamp_ = 0;
  std::vector<Var> clone_;
  std::vector<std::size_t> owner_;  // sampled (continuous) nodes: the factor that clones them
};

Region Eliminator::region(const std::vector<std::size_t>& targets) {
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
    if (detail::is_frozen_box(g_, id)) continue;  // constant 1 in clones
    for (std::size_t in : g_.inputs(id))
      if (dep_[in] && in_region_[in] != stamp_) stack.push_back(in);
  }
  std::sort(r.nodes.begin(), r.nodes.end());
  std::sort(r.scope.begin(), r.scope.end());
  return r;
}

bool Eliminator::plated_ok(const Region& r) const {
  for (std::size_t id : r.nodes) {
    if (static_cast<std::size_t>(g_.shape(id).rows) != rows_) return false;
    if (detail::is_frozen_box(g_, id)) continue;
    const auto in = g_.inputs(id);
    for (std::size_t i = 0; i < in.size(); ++i)
      if (dep_[in[i]] &&
          (!g_.op(id)->row_local(i) || static_cast<std::size_t>(g_.shape(in[i]).rows) != rows_))
        return false;
  }
  return true;
}

Var Eliminator::constant(Tensor value) const {
  Key key{static_cast<std::uint64_t>(value.rows()), static_cast<std::uint64_t>(value.cols())};
  for (Eigen::Index i = 0; i < value.shape().size(); ++i)
    key.push_back(std::bit_cast<std::uint64_t>(value.data()[i]));
  auto [it, fresh] = constants_.try_emplace(std::move(key));
  if (fresh) it->second = g_.constant(std::move(value));
  return it->second;
}

Var Eliminator::apply(const std::shared_ptr<const Op>& op, const std::vector<Var>& in) {
  if (op->traits().random || op->traits().state.size() != 0) return g_.apply(op, in);
  Key key = op_key(op.get());
  for (const Var& v : in) key.push_back(v.id());
  auto [it, fresh] = applied_.try_emplace(std::move(key));
  if (fresh) it->second = g_.apply(op, in);
  return it->second;
}

Var Eliminator::canon(const Var& v) {
  const std::size_t id = v.id();
  const Op* op = g_.op(id);
  if (!op || op->traits().random || op->traits().state.size() != 0) return v;
  Key key = op_key(op);
  for (std::size_t i : g_.inputs(id)) key.push_back(i);
  return applied_.try_emplace(std::move(key), v).first->second;
}

Var Eliminator::canon_since(const Var& v, std::size_t from) {
  if (v.empty() || v.id() < from) return v;
  std::vector<Var> re(v.id() + 1 - from);
  std::vector<Var> in;
  for (std::size_t id = from; id <= v.id(); ++id) {
    Var& out = re[id - from];
    if (!g_.op(id)) {
      out = g_.kind(id) == NodeKind::kConstant ? constant(*g_.value(id)) : g_.var(id);
      continue;
    }
    in.clear();
    bool same = true;
    for (std::size_t i : g_.inputs(id)) {
      in.push_back(i >= from ? re[i - from] : g_.var(i));
      same = same && in.back().id() == i;
    }
    out = same ? canon(g_.var(id)) : apply(g_.shared_op(id), in);
  }
  return re.back();
}

Var Eliminator::state_constant(std::size_t v, std::size_t k) {
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
    var.constants[k] = constant(std::move(value));
  }
  return var.constants[k];
}

void Eliminator::clone_region(const Region& r, const std::vector<std::size_t>& states,
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
    if (detail::is_frozen_box(g_, id)) {
      clone_[id] = constant(Tensor(g_.shape(id), 1.0));
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
    clone_[id] = apply(g_.shared_op(id), in);
  }
}

Var Eliminator::columns(const Var& t, const std::vector<std::size_t>& idx) const {
  bool identity = static_cast<Eigen::Index>(idx.size()) == t.cols();
  for (std::size_t i = 0; identity && i < idx.size(); ++i) identity = idx[i] == i;
  if (identity) return t;
  std::vector<Eigen::Index> from(idx.begin(), idx.end()), to(idx.size());
  std::iota(to.begin(), to.end(), Eigen::Index{0});
  return product_sum({t}, {from}, to, static_cast<Eigen::Index>(idx.size()));
}

double Eliminator::size_of(const std::vector<std::size_t>& scope) const {
  double n = 1;
  for (std::size_t v : scope) n *= static_cast<double>(vars_[v].states);
  return n;
}

// Decodes column c of a table over `scope` into per-variable states.
void decode(std::size_t c, const std::vector<std::size_t>& scope,
            const std::vector<std::size_t>& radix, std::vector<std::size_t>& states) {
  states.resize(scope.size());
  for (std::size_t i = 0; i < scope.size(); ++i) states[i] = c % radix[i], c /= radix[i];
}

std::vector<Eigen::Index> Eliminator::expand_index(const std::vector<std::size_t>& from,
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
    decode(c, to, radix_to, states);
    std::size_t f = 0;
    for (std::size_t i = 0; i < from.size(); ++i) f += states[pos[i]] * stride_from[i];
    idx[c] = static_cast<Eigen::Index>(f);
  }
  return idx;
}

Factor Eliminator::eliminate(const std::vector<Factor>& bucket, std::size_t v) const {
  std::vector<std::size_t> scope;
  for (const Factor& f : bucket) {
    std::vector<std::size_t> u;
    std::set_union(scope.begin(), scope.end(), f.scope.begin(), f.scope.end(),
                   std::back_inserter(u));
    scope = std::move(u);
  }
  check_size(scope, "summing out " + g_.describe(vars_[v].node));
  // Joint state c of `scope` (v's state (c / stride) % K) adds into state low + high stride of
  // the result, whose scope lacks v.
  const std::size_t at =
      static_cast<std::size_t>(std::lower_bound(scope.begin(), scope.end(), v) - scope.begin());
  std::size_t stride = 1;
  for (std::size_t i = 0; i < at; ++i) stride *= vars_[scope[i]].states;
  const std::size_t k_states = vars_[v].states;
  const auto n = static_cast<std::size_t>(size_of(scope));
  std::vector<Eigen::Index> out(n);
  for (std::size_t c = 0; c < n; ++c)
    out[c] = static_cast<Eigen::Index>(c % stride + (c / (stride * k_states)) * stride);
  const auto cols = static_cast<Eigen::Index>(n / k_states);
  std::vector<std::vector<Eigen::Index>> maps;
  for (const Factor& f : bucket) maps.push_back(expand_index(f.scope, scope));
  // (a, b) = (prod_i a_i, sum_j b_j prod_{i != j} a_i), summed over v; empty a = 1, empty b = 0.
  auto product = [&](std::size_t with_b) {
    std::vector<Var> tables;
    std::vector<std::vector<Eigen::Index>> index;
    for (std::size_t i = 0; i < bucket.size(); ++i) {
      const Var& t = i == with_b ? bucket[i].b : bucket[i].a;
      if (!t.empty()) tables.push_back(t), index.push_back(maps[i]);
    }
    return product_mode ? log_product_sum(tables, index, out, cols)
                        : product_sum(tables, index, out, cols);
  };
  Factor result;
  for (std::size_t u : scope)
    if (u != v) result.scope.push_back(u);
  result.a = product(SIZE_MAX);
  for (std::size_t j = 0; j < bucket.size(); ++j) {
    if (bucket[j].b.empty()) continue;
    const Var t = product(j);
    result.b = result.b.empty() ? t : result.b + t;
  }
  return result;
}

std::string Eliminator::describe_scope(const std::vector<std::size_t>& scope) const {
  std::string s;
  const std::size_t shown = std::min<std::size_t>(scope.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + g_.describe(vars_[scope[i]].node);
  if (shown < scope.size()) s += " and " + std::to_string(scope.size() - shown) + " more";
  return s;
}

void Eliminator::check_size(const std::vector<std::size_t>& scope, const std::string& what) const {
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

Factor Eliminator::multiply(const std::vector<Factor>& fs) const {
  Factor out;
  if (product_mode) {  // log-tables: the product is the sum
    for (const Factor& f : fs) out.a = out.a.empty() ? f.a : out.a + f.a;
    return out;
  }
  for (const Factor& f : fs) {
    // (a1, b1) (a2, b2) = (a1 a2, a1 b2 + b1 a2), with empty a = 1 and empty b = 0.
    Var nb;
    if (!f.b.empty()) nb = out.a.empty() ? f.b : out.a * f.b;
    if (!out.b.empty()) {
      const Var t = f.a.empty() ? out.b : out.b * f.a;
      nb = nb.empty() ? t : nb + t;
    }
    out.b = nb;
    if (!f.a.empty()) out.a = out.a.empty() ? f.a : out.a * f.a;
  }
  return out;
}

bool Eliminator::for_each_state(const Region& r, std::size_t owner,
                                const std::function<bool()>& f) {
  std::vector<std::size_t> radix;
  for (std::size_t v : r.scope) radix.push_back(vars_[v].states);
  const auto n = static_cast<std::size_t>(size_of(r.scope));
  std::vector<std::size_t> states;
  for (std::size_t c = 0; c < n; ++c) {
    decode(c, r.scope, radix, states);
    clone_region(r, states, owner);
    if (!f()) return false;
  }
  return true;
}

Var Eliminator::table(const Region& r, std::size_t owner, const std::function<Var()>& value) {
  std::vector<Var> cols;
  for_each_state(r, owner, [&] {
    const std::size_t from = g_.size();
    cols.push_back(canon_since(value(), from));
    return true;
  });
  return cols.size() == 1 ? cols[0] : concat(cols, 1);
}

Var Eliminator::log_prob_table(std::size_t v, const Region& parents,
                               const std::vector<std::size_t>& scope) {
  const Variable& var = vars_[v];
  const auto params_of = [&] {
    std::vector<Var> params;
    for (std::size_t in : g_.inputs(var.node)) params.push_back(cloned(in));
    return params;
  };
  if (by_row_states(var.node)) {
    // Blocks by parent state, each rows x K states: [parent state][state of v], v fastest.
    std::vector<Var> blocks;
    const bool all = for_each_state(parents, SIZE_MAX - 1 - v, [&] {
      const std::size_t from = g_.size();
      const Var t = canon_since(var.op->row_state_log_probs(params_of(), g_.shape(var.node)), from);
      if (!t.empty()) blocks.push_back(t);
      return !t.empty();
    });
    if (all) {
      // Reorder to the canonical layout over `scope` (ascending, first fastest).
      const std::size_t at =
          static_cast<std::size_t>(std::lower_bound(scope.begin(), scope.end(), v) - scope.begin());
      const std::size_t k_states = var.states;
      std::size_t low = 1;
      for (std::size_t i = 0; i < at; ++i) low *= vars_[scope[i]].states;
      const auto n = static_cast<std::size_t>(size_of(scope));
      // The same blocks in the same layout (a chain's transitions at every step): one table.
      Key key{at, low, k_states, n};
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
  }
  Region r = parents;
  r.scope = scope;
  return table(r, SIZE_MAX - 1 - v, [&] {
    // The same distribution at the same (cloned) parameters and state: the node built before.
    const std::vector<Var> params = params_of();
    Key key = op_key(var.op);
    key.push_back(cloned(var.node).id());
    for (const Var& p : params) key.push_back(p.id());
    Var& memo = log_probs_[key];
    if (memo.empty()) memo = reduce(var.op->log_prob(params, cloned(var.node)));
    return memo;
  });
}

Var Eliminator::run() {
  // 1. Variables and dependent nodes.
  const std::vector<char> anc = g_.ancestors(std::vector<std::size_t>{top_});
  dep_.assign(top_ + 1, 0);
  var_of_.assign(top_ + 1, -1);
  for (std::size_t id = 0; id <= top_; ++id) {
    if (!anc[id]) continue;
    for (std::size_t in : g_.inputs(id)) dep_[id] |= dep_[in];
    if (detail::is_frozen_box(g_, id)) dep_[id] = 1;
    if (dep_[id] && detail::is_black_box(g_.op(id))) refuse_black_box(g_, id);
    if (is_variable(g_, id, opt_)) {
      dep_[id] = 1;
      var_of_[id] = static_cast<int>(vars_.size());
      vars_.push_back({id, static_cast<const Distribution*>(g_.op(id)), 0, {}});
    }
  }
  g_.mark_cost(top_);
  if (!dep_[top_]) return g_.var(top_);
  in_region_.assign(top_ + 1, 0);
  clone_.assign(top_ + 1, Var());
  owner_.assign(top_ + 1, SIZE_MAX);

  // 2. Terms: below the cost through linear ops. A cost exp(x) (a likelihood: the exp of a sum
  // of log-factors) is a product: its terms, below x, are multiplicative factors exp(d_j).
  product_mode = detail::is_exp(g_.op(top_));
  const std::size_t root = product_mode ? g_.inputs(top_)[0] : top_;
  std::vector<char> linear(top_ + 1, 0), is_term(top_ + 1, 0);
  std::vector<std::size_t> terms, stack{root}, lin_nodes;
  while (!stack.empty()) {
    const std::size_t id = stack.back();
    stack.pop_back();
    if (linear[id] || is_term[id]) continue;
    std::vector<std::size_t> deps;
    const Op* op = g_.op(id);
    if (op && var_of_[id] < 0 && !detail::is_frozen_box(g_, id)) {
      const auto in = g_.inputs(id);
      for (std::size_t i = 0; i < in.size(); ++i)
        if (dep_[in[i]]) deps.push_back(i);
      const CostTerms t = op->traits().terms;
      const bool lin = t == CostTerms::kSumOfOperands ||
                       (t == CostTerms::kScaledOperand && deps.size() == 1) ||
                       (t == CostTerms::kScaledFirst && deps.size() == 1 && deps[0] == 0);
      if (lin) {
        linear[id] = 1;
        lin_nodes.push_back(id);
        for (std::size_t i : deps) stack.push_back(in[i]);
        continue;
      }
    }
    is_term[id] = 1;
    terms.push_back(id);
  }
  std::sort(terms.begin(), terms.end());
  std::sort(lin_nodes.begin(), lin_nodes.end());
  // W_j = d cost / d c_j through the linear part, and L(0).
  std::vector<Var> weights;
  Var offset;
  if (!lin_nodes.empty()) {
    std::vector<Var> wrt;
    for (std::size_t t : terms) wrt.push_back(g_.var(t));
    weights = reverse_mode(
        g_.var(root), g_.constant(Tensor(1, 1, 1.0)), wrt,
        [](const Var& a, const Var& b) { return a + b; },
        [&](std::size_t id) { return id <= top_ && is_term[id] != 0; });
    std::vector<Var> zero(top_ + 1);
    for (std::size_t t : terms) zero[t] = g_.constant(Tensor(g_.shape(t), 0.0));
    for (std::size_t id : lin_nodes) {
      std::vector<Var> in;
      for (std::size_t i : g_.inputs(id)) in.push_back(!zero[i].empty() ? zero[i] : g_.var(i));
      zero[id] = g_.apply(g_.shared_op(id), in);
    }
    offset = zero[root];
  }

  // 3. Regions: the terms', then each variable's reached from them.
  std::vector<Region> term_regions;
  for (std::size_t t : terms) term_regions.push_back(region({t}));
  std::vector<char> reached(vars_.size(), 0);
  std::vector<std::size_t> work;
  auto reach = [&](const Region& r) {
    for (std::size_t v : r.scope)
      if (!reached[v]) reached[v] = 1, work.push_back(v);
  };
  for (const Region& r : term_regions) reach(r);
  std::vector<Region> var_regions(vars_.size());
  while (!work.empty()) {
    const std::size_t v = work.back();
    work.pop_back();
    std::vector<std::size_t> params;
    for (std::size_t in : g_.inputs(vars_[v].node)) params.push_back(in);
    var_regions[v] = region(params);
    reach(var_regions[v]);
  }
  // Plates: every reached variable with the same R > 1 rows, every region row-local.
  std::size_t rows = 0;
  plated_ = true;
  for (std::size_t v = 0; v < vars_.size() && plated_; ++v) {
    if (!reached[v]) continue;
    const auto r = static_cast<std::size_t>(g_.shape(vars_[v].node).rows);
    if (rows == 0) rows = r;
    plated_ = r == rows && r > 1;
  }
  rows_ = rows;
  for (std::size_t i = 0; i < terms.size() && plated_; ++i)
    plated_ =
        static_cast<std::size_t>(g_.shape(terms[i]).rows) == rows_ && plated_ok(term_regions[i]);
  for (std::size_t v = 0; v < vars_.size() && plated_; ++v)
    if (reached[v]) plated_ = plated_ok(var_regions[v]);
  if (!plated_) rows_ = 1;
  for (std::size_t v = 0; v < vars_.size(); ++v) {
    if (!reached[v]) continue;
    const Shape s = g_.shape(vars_[v].node);
    const double count = vars_[v].op->state_count(plated_ ? Shape{1, s.cols} : s);
    if (count > opt_.max_states)
      throw Error("expectation: " + g_.describe(vars_[v].node) + " alone has " + count_str(count) +
                  " states" + (plated_ ? " per row" : "") +
                  ", above ExpectationOptions::max_states (" + count_str(opt_.max_states) + ")" +
                  (plated_ || s.rows == 1
                       ? ""
                       : "; its rows are summed jointly because the model mixes them"));
    vars_[v].states = static_cast<std::size_t>(count);
  }

  // 4. Factor tables.
  std::vector<Factor> factors;
  for (std::size_t v = 0; v < vars_.size(); ++v) {
    if (!reached[v]) continue;
    Region r = var_regions[v];
    r.scope.insert(std::lower_bound(r.scope.begin(), r.scope.end(), v), v);
    check_size(r.scope, "the distribution of " + g_.describe(vars_[v].node));
    const Var lp = log_prob_table(v, var_regions[v], r.scope);
    factors.push_back({r.scope, product_mode ? lp : canon(exp(lp)), Var()});
  }
  for (std::size_t j = 0; j < terms.size(); ++j) {
    const Region& r = term_regions[j];
    check_size(r.scope, "the cost term " + g_.describe(terms[j]));
    const Var w = weights.empty() ? Var() : weights[j];
    const std::size_t t = terms[j];
    Var d;
    if (by_row_states(t) && var_of_[t] >= 0 && !w.empty() && w.shape() == g_.shape(t)) {
      // The term is a choice itself, weighted: row r, state k gives sum_c w_rc S_kc with S the
      // per-row states, all at once: w S^T.
      const Variable& var = vars_[static_cast<std::size_t>(var_of_[t])];
      const Eigen::Index cols = g_.shape(t).cols;
      Tensor unit(1, cols), st(cols, static_cast<Eigen::Index>(var.states));
      for (std::size_t k = 0; k < var.states; ++k) {
        var.op->state(k, unit);
        st.matrix().col(static_cast<Eigen::Index>(k)) = unit.matrix().row(0).transpose();
      }
      // Categorical states are the unit rows (S = I): then the table is w itself.
      const bool unit_rows = st.rows() == st.cols() && st.matrix().isIdentity(0.0);
      d = unit_rows ? w : matmul(w, constant(std::move(st)));
    } else {
      d = table(r, factors.size(), [&] {
        const Var c = cloned(t);
        return reduce(w.empty() ? c : w * c);
      });
    }
    factors.push_back(product_mode ? Factor{r.scope, d, Var()} : Factor{r.scope, Var(), d});
  }

  // 5. Elimination: groups of variables sharing no factor, each in minimum-degree order.
  const std::size_t n = vars_.size();
  std::set<std::pair<std::size_t, std::size_t>> edges;
  for (const Factor& f : factors)
    for (std::size_t i = 0; i < f.scope.size(); ++i)
      for (std::size_t k = i + 1; k < f.scope.size(); ++k) edges.insert({f.scope[i], f.scope[k]});
  using Undirected = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  using Directed = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  Undirected ug(n);
  // One extra isolated vertex: Boost 1.74's minimum_degree_ordering indexes its degree buckets
  // out of range when the whole graph is one clique (two choices sharing a factor; an assert in
  // debug builds, a heap overflow under ASan). With the padding vertex it never is; it is
  // ordered like any vertex and skipped below.
  Directed dg(n + 1);
  for (const auto& [a, b] : edges) {
    boost::add_edge(a, b, ug);
    boost::add_edge(a, b, dg);
    boost::add_edge(b, a, dg);
  }
  std::vector<int> component(n, 0), order(n + 1, 0), inverse(n + 1, 0), degree(n + 1, 0),
      supernode(n + 1, 1);
  if (n) boost::connected_components(ug, component.data());
  {
    const auto index = boost::get(boost::vertex_index, dg);
    boost::minimum_degree_ordering(
        dg, boost::make_iterator_property_map(degree.data(), index, degree[0]), inverse.data(),
        order.data(), boost::make_iterator_property_map(supernode.data(), index, supernode[0]), 0,
        index);
  }
  std::vector<char> alive(factors.size(), 1);
  std::vector<std::vector<std::size_t>> holding(n);
  for (std::size_t f = 0; f < factors.size(); ++f)
    for (std::size_t v : factors[f].scope) holding[v].push_back(f);
  // Group by group (independent sub-problems), each in minimum-degree order.
  order.erase(std::find(order.begin(), order.end(), static_cast<int>(n)));  // the padding vertex
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return component[static_cast<std::size_t>(a)] < component[static_cast<std::size_t>(b)];
  });
  std::vector<Factor> results;  // factors left with no scope
  for (const int vi : order) {
    const auto v = static_cast<std::size_t>(vi);
    if (!reached[v]) continue;
    std::vector<Factor> bucket;
    for (std::size_t f : holding[v])
      if (alive[f]) bucket.push_back(factors[f]), alive[f] = 0;
    Factor summed = eliminate(bucket, v);
    const std::size_t id = factors.size();
    factors.push_back(std::move(summed));
    alive.push_back(1);
    for (std::size_t u : factors[id].scope) holding[u].push_back(id);
    if (factors[id].scope.empty()) results.push_back(factors[id]), alive[id] = 0;
  }
  for (std::size_t f = 0; f < factors.size(); ++f)
    if (alive[f]) results.push_back(factors[f]);  // no scope from the start (terms of no variable)
  const Factor all = multiply(results);
  if (product_mode) {  // E[exp(L(0) + sum_j d_j)] = exp(L(0) + log of the product); plated: rows
                       // multiply
    Var l = all.a.empty() ? g_.constant(Tensor(1, 1, 0.0)) : (plated_ ? sum(all.a) : all.a);
    return exp(offset.empty() ? l : l + offset);
  }
  Var e = all.b.empty() ? g_.constant(Tensor(1, 1, 0.0)) : (plated_ ? sum(all.b) : all.b);
  return offset.empty() ? e : e + offset;
}

}  // namespace

Var expectation(const Var& cost, const ExpectationOptions& options) {
  if (cost.empty()) throw Error("expectation: the cost is an empty Var");
  if (!(options.max_states >= 1.0))
    throw Error("expectation: ExpectationOptions::max_states is " +
                std::to_string(options.max_states) + "; it must be a number >= 1");
  if (options.joint || !cost.shape().scalar()) return expectation_joint(cost, options);
  return Eliminator(cost, options).run();
}

}  // namespace scg
