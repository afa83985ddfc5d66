#pragma once
/// \file Distribution: the interface of a stochastic op. Its node samples its value from the
/// session's engine once per run (forward) and knows its log-probability as a graph of ops.
/// Two things are declared separately: how gradients reach the parameters, and the support.
/// (The concrete distributions are in stochastic/.)

#include <span>

#include "scg/core/error.hpp"
#include "scg/core/op.hpp"

namespace scg {

/// How gradients of an expected cost reach a distribution's parameters.
enum class GradientPath {
  kPathwise,  ///< along the sample (reparameterized: normal; implicitly: gamma, beta)
  kScore,     ///< through score terms cost x d log p only (bernoulli, categorical, poisson)
};

/// What values a sample takes.
enum class Support {
  kFinite,      ///< finitely many states per sample (bernoulli, categorical): enumerable
  kCountable,   ///< countably many (poisson): not enumerable
  kContinuous,  ///< a continuum (normal, gamma)
};

/// A stochastic op.
class Distribution : public Op {
  static OpTraits random(OpTraits t) {
    t.random = true;
    return t;
  }

 public:
  /// A distribution with the given gradient path and support.
  Distribution(GradientPath path, Support support, OpTraits traits = {})
      : Op(random(std::move(traits))), path_(path), support_(support) {}
  /// How gradients reach the parameters.
  GradientPath gradient_path() const { return path_; }
  /// What values a sample takes.
  Support support() const { return support_; }
  /// Log-probability (density) of `value` given the parameter nodes `params` (the node's
  /// operands), built from ops. Shape as documented per distribution.
  virtual Var log_prob(std::span<const Var> params, const Var& value) const = 0;
  /// Number of joint states of a sample of shape `out` (finite support only; may be huge, so
  /// a double).
  virtual double state_count(Shape out) const {
    (void)out;
    throw Error(name() + ": the support is not finite; it has no enumerable states");
  }
  /// Throws (through ctx, naming the node) unless `value` is a possible sample given the
  /// parameter values `params` (a fed value replaces the sample: a Bernoulli 0.5 or a
  /// categorical row that is not one-hot is refused). Default: every element finite.
  virtual void check_value(std::span<const Tensor* const> params, const Tensor& value,
                           const RunContext& ctx) const {
    (void)params;
    if (!value.all_finite()) ctx.fail(name() + ": a fed value holds NaN or infinity");
  }
  /// Entropy of the distribution with parameter nodes `params`, built from ops with
  /// log_prob's shape; throws scg::Error where there is no closed form.
  virtual Var entropy(std::span<const Var> params) const {
    (void)params;
    throw Error(name() + ": entropy has no closed form here");
  }
  /// KL(this || p) for parameter nodes `q_params` (this one's) and `p_params` (p's), built from
  /// ops with log_prob's shape; throws scg::Error unless p is of the same family and a closed
  /// form exists.
  virtual Var kl(std::span<const Var> q_params, const Distribution& p,
                 std::span<const Var> p_params) const {
    (void)q_params, (void)p_params;
    throw Error("kl_divergence: no closed form for " + name() + " against " + p.name());
  }
  /// log p of every state of a row at once (finite support; for exact sums over choices whose
  /// rows are independent): given parameter nodes `params` for a sample of shape `value`, a
  /// (value.rows x K) node whose column k is log p(row r = state k of a 1 x value.cols sample),
  /// K = state_count({1, value.cols}). An empty Var (the default): the caller evaluates
  /// log_prob once per state instead.
  virtual Var row_state_log_probs(std::span<const Var> params, Shape value) const {
    (void)params, (void)value;
    return Var();
  }
  /// Writes joint state number `index` (0 <= index < state_count) into `value` (finite
  /// support only).
  virtual void state(std::size_t index, Tensor& value) const {
    (void)index, (void)value;
    throw Error(name() + ": the support is not finite; it has no enumerable states");
  }

 private:
  GradientPath path_;
  Support support_;
};

}  // namespace scg
