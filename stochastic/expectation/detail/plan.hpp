#pragma once
/// \file plan: the elimination plan of expectation, built once from the factors' scopes and
/// then run in a semiring (detail/semiring.hpp) by run_plan (detail/eliminator.hpp).

#include <cstddef>
#include <vector>

namespace scg::detail {

/// One elimination step: the factors holding `variable`, multiplied, with it summed out.
struct EliminationStep {
  std::size_t variable;
  std::vector<std::size_t> consumed;  // factor indices, in the order they are multiplied
  std::size_t produced;               // the index of the factor it makes
  std::vector<std::size_t> scope;     // the union of the consumed scopes (variable included)
  /// The variable is local (a plate's rows) and the factor it makes holds no local one: its
  /// plate rows are multiplied into one row (Semiring::collapse) after the sum.
  bool collapse = false;
};

/// The variables, every factor's scope (the model's factors first, then one per step, in step
/// order) and the steps, in the order they run. Run forwards it sums everything out; walked
/// backwards (a traceback, a sampler) each step's variable is read given the later ones'.
struct EliminationPlan {
  std::vector<std::size_t> states;               // per variable; 0 for one never reached
  std::vector<char> local;                       // per variable: in a plate (empty: none)
  std::vector<std::vector<std::size_t>> scopes;  // per factor: variable indices, ascending
  std::size_t inputs = 0;                        // the model's factors: scopes[0, inputs)
  std::vector<EliminationStep> steps;
  /// The factors with no scope left, multiplied for the result: those steps produced (in
  /// step order), then the model's factors of no variable.
  std::vector<std::size_t> results;
};

/// The plan for factors over `scopes` (variable indices below states.size(); states[v] == 0:
/// v is in no scope and not eliminated): variables in groups that share no factor
/// (boost::connected_components), each group in minimum-degree order
/// (boost::minimum_degree_ordering on the variables' interaction graph), its local variables
/// (local[v] set: a plate's rows, empty: none) before its global ones: a global variable
/// summed out first would join the local ones of every row into one factor.
EliminationPlan plan_elimination(std::vector<std::size_t> states,
                                 std::vector<std::vector<std::size_t>> scopes,
                                 std::vector<char> local = {});

}  // namespace scg::detail
