#pragma once
/// \file semiring: what the factors of variable elimination hold, and how they combine.
///
/// Variable elimination runs the same plan (detail/plan.hpp) in any semiring: a Semiring says
/// how a choice's log-probability table and a cost term's table enter as factors, how one
/// step multiplies the factors holding a variable and sums it out, how the factors left with
/// no scope multiply, and what the result is. Two are defined here: the expectation semiring
/// of pairs (p, p c) (an additive cost) and the log-sum-exp semiring (a likelihood, cost
/// exp(x)). Another (max-product, or sampling) is another implementation reading the plan.

#include <Eigen/Core>
#include <vector>

#include "scg/core/graph.hpp"

namespace scg::detail {

class Memo;

/// A factor: tables over the joint states of `scope` (variable indices, ascending; the first
/// varies fastest), plate rows x states (one row unless its scope holds a local variable). What a
/// and b hold is the semiring's: in the expectation semiring a empty is all ones and b empty all
/// zeros; in the log-sum-exp semiring a is the log-table and b is unused.
struct Factor {
  std::vector<std::size_t> scope;
  Var a, b;
};

/// How one elimination step aligns its tables (the arguments of product_sum): for factor i of
/// the bucket, index[i] maps each joint state of the step's scope to a column of its table;
/// out maps each joint state to the result's column (of `cols`, the variable summed out).
struct Contraction {
  std::vector<std::vector<Eigen::Index>> index;
  std::vector<Eigen::Index> out;
  Eigen::Index cols = 0;
};

class Semiring {
 public:
  virtual ~Semiring() = default;
  /// The factor of a choice, from its table log p(v | parents) over `scope` (memo makes
  /// derived tables canonical, so equal ones are one node).
  virtual Factor choice(std::vector<std::size_t> scope, const Var& log_prob, Memo& memo) const = 0;
  /// The factor of a cost term, from its table d (the weighted term, summed per state).
  virtual Factor term(std::vector<std::size_t> scope, const Var& d) const = 0;
  /// Multiplies the factors of `bucket` and sums one variable out as `c` says: the tables of
  /// the result (its scope is the caller's).
  virtual Factor eliminate(const std::vector<Factor>& bucket, const Contraction& c) const = 0;
  /// The product of factors with no scope (one entry each).
  virtual Factor multiply(const std::vector<Factor>& fs) const = 0;
  /// A factor of plate rows over global variables only (every local one summed out), its rows
  /// multiplied into one: the rows are independent given the global variables.
  virtual Factor collapse(const Factor& f) const = 0;
  /// The expectation, from the product of every factor summed over every variable and the
  /// cost's offset L(0) (empty: none).
  virtual Var result(Graph& g, const Factor& all, const Var& offset) const = 0;
};

/// Pairs (a, b) = (p, p c), (a1, b1) (a2, b2) = (a1 a2, a1 b2 + b1 a2), summed componentwise:
/// multiplying every factor and summing every variable out gives (1, E[cost - L(0)]).
class ExpectationSemiring final : public Semiring {
 public:
  Factor choice(std::vector<std::size_t> scope, const Var& log_prob, Memo& memo) const override;
  Factor term(std::vector<std::size_t> scope, const Var& d) const override;
  Factor eliminate(const std::vector<Factor>& bucket, const Contraction& c) const override;
  Factor multiply(const std::vector<Factor>& fs) const override;
  /// (a_r, b_r) over the rows: a_r is 1 for every global state (the sum of a row's local
  /// choices' probabilities), so the product is (1, sum_r b_r), exactly and to every order.
  Factor collapse(const Factor& f) const override;
  Var result(Graph& g, const Factor& all, const Var& offset) const override;
};

/// A likelihood (cost exp(x)): x's terms give factors exp(d_j), kept as log-tables (d_j, and
/// log p for the choices); each step is one log_product_sum (log-sum-exp of the aligned
/// log-tables' sums, shifted per row by the largest), so however many small factors meet in a
/// step, nothing underflows or overflows. The result is E[exp(x)] = exp(L(0) + log of the
/// product of every factor, summed).
class LogSumExpSemiring final : public Semiring {
 public:
  /// The step's contraction of the aligned log-tables (product_sum's arguments): the default
  /// log_product_sum sums; detail::log_max_sum makes this the max-sum semiring of the
  /// posterior mode (the largest log-weight instead of the log of the summed weights).
  using Contract = Var (*)(const std::vector<Var>&, const std::vector<std::vector<Eigen::Index>>&,
                           const std::vector<Eigen::Index>&, Eigen::Index);
  explicit LogSumExpSemiring(Contract contract = nullptr) : contract_(contract) {}
  Factor choice(std::vector<std::size_t> scope, const Var& log_prob, Memo& memo) const override;
  Factor term(std::vector<std::size_t> scope, const Var& d) const override;
  Factor eliminate(const std::vector<Factor>& bucket, const Contraction& c) const override;
  Factor multiply(const std::vector<Factor>& fs) const override;
  /// Log-tables: the product of the rows is the sum of their logs, per column.
  Factor collapse(const Factor& f) const override;
  Var result(Graph& g, const Factor& all, const Var& offset) const override;

 private:
  Contract contract_;  // nullptr: log_product_sum
};

}  // namespace scg::detail
