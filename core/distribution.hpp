#pragma once
/// \file
/// Distribution: the interface of a stochastic op. Its node samples its value from the
/// session's engine once per run (forward) and knows its log-probability as a graph of ops.
/// What it declares of itself is one DistributionTraits value: how gradients reach the
/// parameters, the support, and the structure estimators may rely on (how its states factor,
/// logits, antithetic pairs). Estimators decide where they apply from these alone, never from
/// op names. (The concrete distributions are in stochastic/distributions/.)

#include <span>

#include "scg/core/error.hpp"
#include "scg/core/op.hpp"

namespace scg {
/// \addtogroup core
/// @{

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

/// How the states of a sample factor (finite support).
enum class StateLayout {
  kJoint,     ///< only the whole sample is a state (rows or elements coupled)
  kElements,  ///< elements independent given the parameters: log_prob is elementwise, and an
              ///< element's states are those of a 1x1 sample (bernoulli)
  kRows,      ///< rows independent: log_prob is rows x 1, and a row's states are those of a
              ///< 1 x cols sample (categorical)
};

/// What a distribution declares of itself, with defaults.
struct DistributionTraits {
  GradientPath path = GradientPath::kScore;  ///< how gradients reach the parameters
  Support support = Support::kContinuous;    ///< what values a sample takes
  StateLayout layout = StateLayout::kJoint;  ///< how its states factor
  /// Operand 0 holds logits: P(element = 1) = sigmoid(l) (kElements), or P(row = state k) =
  /// softmax(l row)_k (kRows). The relaxations RELAX uses follow from it: logistic per element,
  /// Gumbel per row.
  bool logits = false;
  /// Rows 2i and 2i+1 share their noise antithetically (bernoulli_pairs): each row alone has
  /// its family's distribution, the pair does not factor.
  bool antithetic_pairs = false;
};

/// A stochastic op.
class Distribution : public Op {
  static OpTraits random(OpTraits t) {
    t.random = true;
    return t;
  }

 public:
  /// A distribution declaring `traits` of itself (`op` as for any op).
  explicit Distribution(DistributionTraits traits, OpTraits op = {})
      : Op(random(std::move(op))), traits_(traits) {}
  /// What it declares of itself.
  const DistributionTraits& distribution_traits() const { return traits_; }
  /// How gradients reach the parameters.
  GradientPath gradient_path() const { return traits_.path; }
  /// What values a sample takes.
  Support support() const { return traits_.support; }
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
  DistributionTraits traits_;
};

/// @}
}  // namespace scg
