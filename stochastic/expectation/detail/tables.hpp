#pragma once
/// \file tables: the variables of variable elimination, the regions their factors read, and
/// the factors' tables (regions cloned once per joint state).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "scg/core/distribution.hpp"
#include "scg/core/graph.hpp"
#include "scg/stochastic/expectation/detail/memo.hpp"
#include "scg/stochastic/expectation/detail/plan.hpp"
#include "scg/stochastic/expectation/detail/semiring.hpp"
#include "scg/stochastic/expectation/expectation.hpp"

namespace scg::detail {

/// The dependent non-variable nodes between a factor's targets and the variables they read.
struct Region {
  std::vector<std::size_t> nodes;  // ascending
  std::vector<std::size_t> scope;  // variable indices, ascending
};

/// Decodes column c of a table over `scope` (radix: the variables' state counts) into
/// per-variable states.
void decode_state(std::size_t c, const std::vector<std::size_t>& scope,
                  const std::vector<std::size_t>& radix, std::vector<std::size_t>& states);

/// A finite discrete choice summed out.
struct Variable {
  std::size_t node;
  const Distribution* op;
  std::size_t states;          // per row when plated, else of the whole node; 0: not reached
  std::vector<Var> constants;  // by state, made on first use
};

/// Tables have one column per joint state of their scope (the first variable fastest) and
/// one row per plate row. Plates: when every node in every region keeps the rows of the
/// choices it reads apart (row-local ops on R-row operands, choices of one row read freely),
/// a choice of R > 1 rows is R local variables (row r only ever meets row r and the global,
/// one-row choices) and a table over local ones has R rows; tables over global choices only
/// have one. Plates of different row counts may sit side by side.
class Tables {
 public:
  Tables(Graph& g, std::size_t top, const ExpectationOptions& o)
      : g_(g), top_(top), opt_(o), memo_(g) {}

  // ---- regions (regions.cpp) ----
  /// Finds the variables and the nodes that read one (dependent); false if the cost is not.
  bool find_variables();
  /// The regions of the terms, then of each variable reached from them; the plates; every
  /// reached variable's state count (throws above options.max_states).
  void find_regions(const std::vector<std::size_t>& terms);
  const std::vector<char>& dependent() const { return dep_; }
  const std::vector<int>& var_of() const { return var_of_; }
  std::size_t variables() const { return vars_.size(); }
  /// Per variable, its state count (0 where not reached).
  std::vector<std::size_t> states() const;
  bool reached(std::size_t v) const { return reached_[v] != 0; }
  /// True when choices are split into plate rows (each local choice's rows its own variables).
  bool plated() const { return plated_; }
  /// True if variable v is local: plated, with more than one row (its table has a row per row).
  bool local(std::size_t v) const;
  /// Per variable, local(v) (empty when not plated).
  std::vector<char> locals() const;
  /// True if `scope` holds a local variable (a factor over it has one row per plate row).
  bool local_scope(const std::vector<std::size_t>& scope) const;
  /// Throws if a factor over `scope` (made for `what`) is above options.max_states.
  void check_size(const std::vector<std::size_t>& scope, const std::string& what) const;
  /// The alignment of elimination step `step` of `plan` (product_sum's index maps).
  Contraction contraction(const EliminationPlan& plan, const EliminationStep& step) const;
  std::string describe_variable(std::size_t v) const { return g_.describe(vars_[v].node); }

  // ---- tables (tables.cpp) ----
  /// The factor of variable v, in semiring s.
  Factor choice_factor(std::size_t v, const Semiring& s);
  /// The factor of term j (node t, weight w: empty for 1), in semiring s; `owner` is the index
  /// of the factor it will be.
  Factor term_factor(std::size_t j, std::size_t t, const Var& w, std::size_t owner,
                     const Semiring& s);

 private:
  Region region(const std::vector<std::size_t>& targets);
  std::size_t rows_of(std::size_t id) const;
  /// Labels r's nodes with their plate (label_); false (mix_why_ set) where rows mix.
  bool label_region(const Region& r);
  /// False (mix_why_ set) unless variable v's parameters fit its plate.
  bool label_variable(std::size_t v);
  bool mix(std::size_t id, const std::string& why);
  /// Why the rows of a choice of several rows are summed jointly ("" if plated).
  std::string joint_rows_reason() const;
  void find_plates();
  void count_states();
  double size_of(const std::vector<std::size_t>& scope) const;
  std::string describe_scope(const std::vector<std::size_t>& scope) const;
  /// For each joint state of `to`, the joint state of `from` (a subset) it contains.
  std::vector<Eigen::Index> expand_index(const std::vector<std::size_t>& from,
                                         const std::vector<std::size_t>& to) const;

  /// The clone of node `id` in the region cloned last (the original where id is not in it).
  Var cloned(std::size_t id) const { return in_region_[id] == stamp_ ? clone_[id] : g_.var(id); }
  /// Clones region r with its scope's variables at `states` (by position in r.scope).
  void clone_region(const Region& r, const std::vector<std::size_t>& states, std::size_t owner);
  Var state_constant(std::size_t v, std::size_t k);
  /// x summed per row (a table of plate rows) or whole.
  static Var reduce(const Var& x, bool per_row);
  /// True if a choice's states are the states of one row (plated, or a one-row choice): its
  /// tables can then be built for every state at once, row by row.
  bool by_row_states(std::size_t node) const { return plated_ || g_.shape(node).rows == 1; }
  /// States `idx` of table t (its columns).
  Var columns(const Var& t, const std::vector<std::size_t>& idx) const;
  /// log p(v | parents) for every joint state of `scope` (v and its parents; `parents` is v's
  /// region): per parent state, the distribution's per-row table of every state of v when it
  /// has one (plated), else log_prob once per state of v.
  Var log_prob_table(std::size_t v, const Region& parents, const std::vector<std::size_t>& scope);
  /// The per-row table of every state of v, from the blocks by parent state (empty if v's
  /// distribution has none).
  Var row_state_table(std::size_t v, const Region& parents, const std::vector<std::size_t>& scope);
  /// A weighted term that is a choice itself: row r, state k gives sum_c w_rc S_kc.
  Var choice_term_table(std::size_t v, const Var& w);
  /// Clones region r at each joint state of r.scope in table order (the first choice fastest)
  /// and calls f after each, until f returns false; true if it never did.
  bool for_each_state(const Region& r, std::size_t owner, const std::function<bool()>& f);
  /// The table of a factor: one value per joint state of r.scope, from `value` (called with the
  /// region cloned at that state).
  Var table(const Region& r, std::size_t owner, const std::function<Var()>& value);

  Graph& g_;
  std::size_t top_;
  const ExpectationOptions& opt_;
  Memo memo_;
  Memo::Table log_prob_tables_;  // by their blocks and layout
  Memo::Table log_probs_;        // by distribution, state and parameters
  std::vector<char> dep_;
  std::vector<int> var_of_;
  std::vector<Variable> vars_;
  std::vector<char> reached_;  // per variable: read by a term's region or a reached one's
  std::vector<Region> term_regions_, var_regions_;
  bool plated_ = false;
  static constexpr std::size_t kUnlabeled = SIZE_MAX;
  /// Per node: the rows of the plate whose local choices it reads, 0 if it reads only global
  /// (one-row) ones; kUnlabeled outside the regions.
  std::vector<std::size_t> label_;
  std::string mix_why_;  // why the model is not plated: the node that mixes rows
  // Region scratch: a node is in the current region iff in_region_[id] == stamp_.
  std::vector<std::uint32_t> in_region_;
  std::uint32_t stamp_ = 0;
  std::vector<Var> clone_;
  std::vector<std::size_t> owner_;  // sampled (continuous) nodes: the factor that clones them
};

}  // namespace scg::detail
