#pragma once
/// \file Stochastic nodes: bernoulli, categorical, normal, and log_prob.

#include <span>

#include "../core/graph.hpp"
#include "../core/op.hpp"

namespace scg {

/// A stochastic op: samples its value from the session's engine once per run, and knows
/// its log-probability as a graph of differentiable ops.
class StochasticOp : public Op {
 public:
  bool random() const override { return true; }
  /// Log-probability of `value` given the parameter nodes `params` (the node's operands),
  /// built from ops. Shape as documented per distribution.
  virtual Var log_prob(std::span<const Var> params, const Var& value) const = 0;
  /// True if gradients flow along the sample path (normal); false for score-function nodes
  /// (bernoulli, categorical), whose parameters are reached only through score terms.
  virtual bool reparameterized() const = 0;
  /// Number of joint states of a value of shape `out` (discrete only; may be huge, so a
  /// double), for exact enumeration.
  virtual double state_count(Shape out) const = 0;
  /// Writes joint state number `index` (0 <= index < state_count) into `value`.
  virtual void state(std::size_t index, Tensor& value) const = 0;
};

/// Each element 1 with probability sigmoid(logit), else 0. Not differentiable along the
/// sample; log_prob has the logits' shape. A non-finite logit throws scg::Error at run time.
Var bernoulli(const Var& logits);
/// One one-hot row per row of logits (rows x k), drawn from softmax(row). log_prob: rows x 1.
Var categorical(const Var& logits);
/// mean + stddev * eps, eps ~ N(0, 1), broadcast shape; reparameterized (gradients flow to
/// mean and stddev along the sample). stddev <= 0 or non-finite parameters throw at run time.
Var normal(const Var& mean, const Var& stddev);
/// log p(x | parents) of the sampled value of stochastic node `x`, built from ops (so it is
/// differentiable to any order); throws scg::Error if `x` is not a stochastic node.
Var log_prob(const Var& x);
/// The StochasticOp of `x`, or nullptr if `x` is not a stochastic node.
const StochasticOp* stochastic_op(const Var& x);

}  // namespace scg
