#pragma once
/// \file
/// posterior: queries on the posterior over a model's finite discrete choices.
///
/// For a 1x1 `log_weight` built from the model's choices (typically the log-likelihood of
/// observed data), the posterior is p(z | data) proportional to p(z) exp(log_weight(z)), p(z)
/// the choices' own distributions. It is found by the same elimination as expectation (no
/// plates or enumeration declared), with the same options and errors: ExpectationOptions::
/// max_states bounds each factor; continuous ancestors are refused unless sample_continuous,
/// in which case the answer conditions on that run's continuous samples; a black_box in
/// log_weight is refused.
#include <vector>

#include "scg/core/graph.hpp"
#include "scg/stochastic/expectation/expectation.hpp"

namespace scg {
/// \addtogroup expectation
/// @{

/// Per choice, the posterior probability of its states: a bernoulli node's P(z = 1 | data)
/// per element (z's shape), a categorical node's P(row r in state k | data) (rows x k). Exact;
/// built from ops, so differentiable like any node (to any order). Computed as the gradient
/// of log E[exp(log_weight + sum_c <e_c, z_c>)] with respect to the zero offsets e_c: one
/// elimination and one reverse pass for all choices together. `choices` must be bernoulli or
/// categorical nodes (elements or rows independent given their parameters) of log_weight's
/// graph; a choice log_weight does not read keeps its prior.
std::vector<Var> posterior_marginals(const Var& log_weight, const std::vector<Var>& choices,
                                     const ExpectationOptions& options = {});

/// The jointly most probable state of p(z | data) (not each choice's most probable state):
/// per choice a node of its shape (0/1 elements; one-hot rows) that can be fed back to it.
/// Max-product elimination (max-sum of log-tables) in expectation's order, then a traceback:
/// each step's choice takes its best state given the later ones' (per plate row when plated),
/// the lowest state index on exact ties. Piecewise constant: no gradient flows through it.
/// `choices` as for posterior_marginals; a choice log_weight does not read takes its most
/// probable state given its parents'.
std::vector<Var> posterior_mode(const Var& log_weight, const std::vector<Var>& choices,
                                const ExpectationOptions& options = {});

/// One exact joint draw from p(z | data) per run, from the session's random stream: per
/// choice a node of its shape (0/1 elements; one-hot rows) that can be fed back to it, the
/// choices' values drawn jointly (unbiased for every joint statistic, not only marginals).
/// Forward filtering, backward sampling: log-sum-exp elimination in expectation's order,
/// then each step's choice drawn given the later ones' (one uniform per plate row). No
/// gradient flows through it. `choices` as for posterior_mode; a choice log_weight does not
/// read is drawn from its prior given its parents'.
std::vector<Var> posterior_sample(const Var& log_weight, const std::vector<Var>& choices,
                                  const ExpectationOptions& options = {});

/// @}
}  // namespace scg
