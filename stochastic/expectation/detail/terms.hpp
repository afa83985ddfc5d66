#pragma once
/// \file terms: the cost as an affine function of its first nonlinear dependent nodes.

#include <vector>

#include "scg/core/graph.hpp"

namespace scg::detail {

/// From `root` down through linear ops (add, sub, neg, sum, transpose: CostTerms
/// kSumOfOperands; mul, matmul, div with one dependent operand) to the first nonlinear
/// dependent nodes c_j (the terms). root = L(0) + sum_j sum(W_j .* c_j) with W_j = d root / d c_j
/// (reverse mode over the linear part, free of variables) and L(0) the linear part with every
/// term set to 0.
struct LinearTerms {
  std::vector<std::size_t> nodes;  // the terms c_j, ascending
  std::vector<Var> weights;        // W_j; empty when root is itself the only term
  Var offset;                      // L(0); empty when root is itself the only term
};

/// The terms of `root` (a node at or below `top`, the cost); dep: the nodes that read a
/// variable, var_of: each node's variable index or -1.
LinearTerms linear_terms(Graph& g, std::size_t top, std::size_t root, const std::vector<char>& dep,
                         const std::vector<int>& var_of);

}  // namespace scg::detail
