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
//   Plates: when every node of every region keeps the rows of the choices it reads apart
//   (row-local ops on R-row operands; one-row choices read freely), a choice of R > 1 rows is R
//   local variables (row r only ever meets row r and the global, one-row choices): tables over
//   local ones have R rows and states per row, so a 64-row NOT gate costs 64 x 2 states, not
//   2^64. Nested plates: the local variables are eliminated first (given the global ones);
//   a step whose result holds no local variable multiplies its R rows into one (the
//   semiring's collapse: summed log-tables, or (1, sum of the rows' b)), then the global
//   variables are eliminated. Plates of different R sit side by side.
//   Shared work: clones of the same op on the same operands are one node (an HMM's transition
//   table is built once, not once per step, and its gradients meet there).
//
// The joint reference (options.joint, or a cost that is not 1x1) clones the whole affected
// graph once per joint state.
//
// MagicBox nodes built by grad are frozen in the clones (constant 1): a node built by grad is
// a function of the parameters and the choices it read, and its expectation differentiates as
// such (docs/higher_order.md).
//
// Files: detail/choices (which ancestors are variables, shared errors), detail/joint (the
// joint reference), detail/terms (2), detail/tables with regions.cpp and tables.cpp (3: the
// regions, plates and tables), detail/memo (shared clones), detail/semiring (the two
// semirings), detail/plan with order.cpp (4: the elimination plan), detail/eliminator (the
// steps in order, and the plan run in a semiring).
#include "scg/stochastic/expectation/expectation.hpp"

#include "scg/core/error.hpp"
#include "scg/stochastic/expectation/detail/eliminator.hpp"
#include "scg/stochastic/expectation/detail/joint.hpp"

namespace scg {

Var expectation(const Var& cost, const ExpectationOptions& options) {
  if (cost.empty()) throw Error("expectation: the cost is an empty Var");
  if (!(options.max_states >= 1.0 && options.max_states <= kMaxStatesLimit))
    throw Error("expectation: ExpectationOptions::max_states is " +
                std::to_string(options.max_states) +
                "; it must be a number in [1, 2^32] (a table of more states cannot be built)");
  if (options.joint || !cost.shape().scalar()) return detail::expectation_joint(cost, options);
  return detail::Eliminator(cost, options).run();
}

}  // namespace scg
