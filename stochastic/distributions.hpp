#pragma once
/// \file Stochastic nodes: bernoulli, categorical, normal, and log_prob. (The Distribution
/// interface they implement is in core/distribution.hpp.)

#include "../core/distribution.hpp"
#include "../core/graph.hpp"

namespace scg {

/// Each element 1 with probability sigmoid(logit), else 0. Score function; finite support.
/// log_prob has the logits' shape. A non-finite logit throws scg::Error at run time.
Var bernoulli(const Var& logits);
/// One one-hot row per row of logits (rows x k), drawn from softmax(row). Score function;
/// finite support. log_prob: rows x 1.
Var categorical(const Var& logits);
/// mean + stddev * eps, eps ~ N(0, 1), broadcast shape; pathwise (gradients flow to mean and
/// stddev along the sample); continuous. stddev <= 0 or non-finite parameters throw at run
/// time.
Var normal(const Var& mean, const Var& stddev);
/// log p(x | parents) of the sampled value of stochastic node `x`, built from ops (so it is
/// differentiable to any order); throws scg::Error if `x` is not a stochastic node.
Var log_prob(const Var& x);
/// The Distribution of `x`, or nullptr if `x` is not a stochastic node.
const Distribution* stochastic_op(const Var& x);

}  // namespace scg
