#pragma once
/// \file
/// Stochastic nodes: the discrete families (bernoulli, bernoulli_pairs, categorical,
/// poisson), the continuous ones (normal, gamma, beta, exponential, uniform, laplace), the
/// relaxations (relaxed_bernoulli, relaxed_categorical); kl_divergence and entropy; black_box;
/// log_prob and stochastic_op. (The Distribution interface they implement is in
/// core/distribution.hpp; each family's math is one file beside this header.)

#include "scg/core/distribution.hpp"
#include "scg/core/graph.hpp"

namespace scg {
/// \addtogroup distributions
/// @{

/// Each element 1 with probability sigmoid(logit), else 0. Score function; finite support.
/// log_prob has the logits' shape. A non-finite logit throws scg::Error at run time.
Var bernoulli(const Var& logits);
/// Bernoulli drawn in antithetic pairs of rows: rows 2i and 2i+1 share one uniform u per element
/// (x = [u < sigmoid(l)], x' = [1 - u < sigmoid(l)]); each row alone is Bernoulli(sigmoid(l)).
/// The logits' rows must be even, each pair's two rows equal (checked at run time). For
/// Estimator::kDisarm; the score estimator works too, where the cost keeps rows apart.
Var bernoulli_pairs(const Var& logits);
/// One one-hot row per row of logits (rows x k), drawn from softmax(row). Score function;
/// finite support. log_prob: rows x 1.
Var categorical(const Var& logits);
/// mean + stddev * eps, eps ~ N(0, 1), broadcast shape; pathwise (gradients flow to mean and
/// stddev along the sample); continuous. stddev <= 0 or non-finite parameters throw at run
/// time.
Var normal(const Var& mean, const Var& stddev);
/// Gamma(shape, rate) (density b^a x^(a-1) e^(-b x) / Gamma(a)), broadcast shape; pathwise by
/// implicit reparameterization (first order only: a second derivative through the sample throws).
/// Samples are at least DBL_MIN (a draw below it, common for shapes below 1, is stored there).
Var gamma(const Var& shape, const Var& rate);
/// Beta(a, b) on (0, 1), broadcast shape; pathwise by implicit reparameterization (first order
/// only). Samples lie in [DBL_MIN, 1 - 2^-53] (draws nearer 0 or 1 are stored at those ends).
Var beta(const Var& a, const Var& b);
/// Poisson(rate): counts 0, 1, 2, ...; score function; countable support (expectation refuses
/// it). log_prob has the rate's shape. A rate above 2^53 throws scg::Error at run time.
Var poisson(const Var& rate);
/// Exponential(rate): -log(u) / rate; pathwise.
Var exponential(const Var& rate);
/// Uniform(lo, hi): lo + (hi - lo) u, broadcast shape; pathwise. lo >= hi throws at run time.
Var uniform(const Var& lo, const Var& hi);
/// Laplace(loc, scale): loc + scale eps, eps with density e^-|e| / 2; broadcast shape; pathwise.
Var laplace(const Var& loc, const Var& scale);

/// Binary Concrete sample sigmoid((l + L) / temperature), L logistic noise: a relaxation of
/// bernoulli(l), reparameterized, and biased for it (the bias vanishes as the temperature goes
/// to 0, while the gradient's variance grows). hard: the value is [y > 1/2] with y's gradient
/// (straight-through). The returned node is the stochastic node itself unless hard. Samples lie
/// in [DBL_MIN, 1 - 2^-53] (at low temperatures many round to those ends); log_prob reads a fed
/// 0 or 1 as those ends, so it is finite on every value in [0, 1].
Var relaxed_bernoulli(const Var& logits, double temperature, bool hard = false);
/// Gumbel-softmax rows softmax((l + G) / temperature), G Gumbel noise: a relaxation of
/// categorical(l), reparameterized and biased for it. hard: one-hot argmax rows with the
/// relaxed rows' gradient (straight-through).
Var relaxed_categorical(const Var& logits, double temperature, bool hard = false);

/// KL(q || p) of two stochastic nodes of the same family (normal, bernoulli, categorical,
/// gamma, beta, poisson, exponential, uniform, laplace), in closed form built from ops of
/// their parameters (the samples are not read), with log_prob(q)'s shape. Throws scg::Error for
/// different families or shapes.
Var kl_divergence(const Var& q, const Var& p);
/// The entropy of stochastic node x's distribution, in closed form built from ops of its
/// parameters, with log_prob(x)'s shape (every family above but poisson, which throws).
Var entropy(const Var& x);

/// A cost computed outside the graph (a simulator's reward, a rating), brought back in: a node
/// with `value`'s value (typically a fed input) that grad treats as depending on exactly the
/// stochastic nodes `choices` (of the same graph) and on nothing `value` depends on; no pathwise
/// derivative flows through it. Row-local: where a choice has as many rows as `value`, row i
/// depends on row i of that choice only (a per-episode reward listing per-episode actions);
/// a choice with other rows makes every row depend on all of it. Score terms, causality,
/// baselines and DisARM apply as for any cost term; expectation and Estimator::kEnumerate,
/// which would have to evaluate the cost at other states, refuse it. A pathwise node listed
/// here (normal, gamma, ...) gets score terms (as with Estimator::kScore): the value has no
/// derivative along the sample; grad refuses Estimator::kPathwise for it.
Var black_box(Var value, const std::vector<Var>& choices);

/// log p(x | parents) of the sampled value of stochastic node `x`, built from ops (so it is
/// differentiable to any order); throws scg::Error if `x` is not a stochastic node.
Var log_prob(const Var& x);
/// The Distribution of `x`, or nullptr if `x` is not a stochastic node.
const Distribution* stochastic_op(const Var& x);

/// @}
}  // namespace scg
