#pragma once
/// \file
/// grad: the gradient of an expected cost, as a graph transformation.

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "scg/core/graph.hpp"

namespace scg {
/// \addtogroup gradients
/// @{

/// Variance reduction for score-function terms. None changes the expectation.
enum class Baseline {
  kNone,  ///< plain estimator (default)
  /// Per stochastic node: one moving average of the cost that depends on it (over runs and
  /// rows). Suits rows of like inputs; where rows hold inputs with very different costs one
  /// number fits none of them and can raise the variance: prefer kLeaveOneOut within groups
  /// or an input-dependent learned baseline there.
  kMovingAverage,
  kLeaveOneOut,  ///< per row: the mean cost of the other rows (of its group) this run
  /// VIMCO (Mnih and Rezende 2016), for score-function choices that reach the cost through
  /// log_mean_exp bounds over groups of K rows (one sample per row): row k's learning signal
  /// is L - L_{-k}, L_{-k} the bound with row k's value replaced by the mean of its group's
  /// other values (the geometric mean of their weights). The cost must be linear in those
  /// bounds (e.g. -sum of them); a choice that reaches the cost otherwise too gets no baseline
  /// for that part. Unbiased; first order (a second derivative through it throws scg::Error).
  /// Needs K >= 2.
  kVimco,
};

/// How grad estimates the gradient's part that comes through one stochastic node. Each value is
/// one rule (stochastic/grad/estimators/): where it applies is decided from the distribution's
/// declared traits (DistributionTraits), and a first-order one refuses a higher derivative with
/// scg::Error.
enum class Estimator {
  kScore,      ///< score function (REINFORCE) with MagicBox: unbiased at every order. The
               ///< default for discrete nodes; for a continuous node (normal) it is the
               ///< right choice when the cost is not differentiable in the sample (step,
               ///< stop_gradient, a comparison): the pathwise gradient is then 0 or wrong.
  kPathwise,   ///< along the sample (reparameterization); the default for normal
  kDisarm,     ///< DisARM (Dong, Mnih and Tucker 2020) over the antithetic pairs of rows of a
               ///< bernoulli_pairs node; first order
  kEnumerate,  ///< the exact sum over the node's states (per row; per element for bernoulli),
               ///< other choices sampled: no variance from this node, one evaluation of what
               ///< depends on it per state; first order
  kRelax,  ///< RELAX (Grathwohl et al. 2018) for a bernoulli or categorical node, with a control
           ///< variate from GradOptions::control_variates; first order
  /// DReG (Tucker et al. 2019), doubly reparameterized gradients for a pathwise node z (normal
  /// and the other reparameterized families) whose samples are the rows of a multi-sample bound
  /// L = log_mean_exp(log w, K), log w = log p(x, z) - log_prob(z), the cost linear in L: the
  /// part of the gradient through z's parameters (the encoder's) becomes sum_k w~_k^2 (d log
  /// w_k / d z_k) (d z_k / d params), w~ the normalized weights, with log_prob(z)'s explicit
  /// score term removed; the other parameters (the model's) keep the plain IWAE gradient.
  /// Unbiased for the IWAE gradient, lower variance for the encoder as K grows. log q must be
  /// log_prob(z) itself (a density written out by hand is not recognized). First order.
  kDreg,
  /// The unordered-set estimator (Kool, van Hoof and Welling 2020) for a categorical node: per
  /// row, GradOptions::set_size distinct states drawn without replacement (Gumbel-top-k), the
  /// cost evaluated at each (like kEnumerate, once per position), weighted by the exact
  /// probabilities of the unordered set, with its built-in baseline. Unbiased for the
  /// gradient of E[cost] under the ordinary categorical; first order. The set's probability
  /// is a sum over its orders up to 5 states, an inclusion-exclusion sum of its integral form
  /// above (set_size at most 16).
  kUnorderedSet,
};

/// The name of an estimator as spelled in code ("Estimator::kDisarm").
std::string to_string(Estimator e);
/// The name of a baseline as spelled in code ("Baseline::kLeaveOneOut").
std::string to_string(Baseline b);

/// RELAX's control variate for one bernoulli or categorical node b: c(z), built by `build` from
/// a relaxed sample z of b's shape: bernoulli: z = sigmoid(zeta / temperature), zeta the logistic
/// relaxation of b's logit given b, values in (0, 1); categorical: z = softmax(y / temperature),
/// y the Gumbel relaxation log softmax(l) + G given argmax y = b, rows on the simplex. grad adds
/// [f(b) - c(z~)] d log p(b) + d c(z) - d c(z~), z~ a second relaxed sample given b (conditional
/// reparameterization): unbiased for any c. c returns 1x1, or rows x 1 with row r computed from row
/// r of z only. REBAR is c(z) = eta f(z). Train c's parameters (never in grad's wrt) by minimizing
/// the estimate's variance: grad(sum(square(estimate)), their parameters).
struct ControlVariate {
  Var node;  ///< the bernoulli or categorical node (Estimator::kRelax)
  std::function<Var(const Var& z)> build;  ///< c(z)
  double temperature = 0.5;                ///< of the relaxation (> 0)
};

/// Options of grad.
struct GradOptions {
  /// Per-node estimators: {stochastic node, estimator}. Nodes not listed use their
  /// distribution's own gradient path (score for bernoulli and categorical, pathwise for
  /// normal).
  std::vector<std::pair<Var, Estimator>> estimators;
  /// Baseline applied to every score-function node without a learned baseline.
  Baseline baseline = Baseline::kNone;
  /// How a later grad treats this grad's result (docs/higher_order.md). false (the default):
  /// the result is a function of the parameters and the samples like any node; a later grad
  /// adds score terms for its dependence on the choices (unbiased for any use of it, linear
  /// or not). true: its MagicBoxes stay live, as in DiCE's repeated differentiation; a later
  /// grad treats the choices inside them as given values and differentiates through the boxes.
  /// For a linear use (Hessian rows, Hessian-vector products) this is unbiased too and keeps
  /// each cost term's own choices at the next order (lower variance: DiCE's second-order
  /// estimator); for a nonlinear use h(g) it estimates the derivative of h at the expected
  /// gradient, not of E[h(g)] (LOLA-DiCE's look-ahead is that by definition).
  bool live_boxes = false;
  /// Loaded DiCE (Farquhar et al. 2019), with live_boxes only. 1 (the default): DiCE, unbiased
  /// at every order. Below 1: the products of two choices' scores at the next order are
  /// weighted lambda^|i - j|, i and j the choices' depths (the longest chain of choices ending
  /// at each: a rollout's time steps), so distant dependencies are discounted: lower variance,
  /// biased at second order and above (the first derivative is unchanged for every lambda).
  /// In [0, 1]; 0 keeps only the products of choices of the same depth. docs/higher_order.md
  /// gives the weights and the bias measured on the iterated prisoner's dilemma.
  double lambda = 1.0;
  /// Decay of the moving-average baseline (weight of the past), in [0, 1).
  double decay = 0.9;
  /// Leave-one-out: rows form consecutive groups of this size (0: all rows one group).
  /// With K samples per example stacked as K consecutive rows, set it to K.
  std::size_t group_size = 0;
  /// Control variates for the nodes given Estimator::kRelax.
  std::vector<ControlVariate> control_variates;
  /// Estimator::kUnorderedSet: the states drawn without replacement per row (2 to the node's
  /// state count, at most 16).
  std::size_t set_size = 0;
  /// Estimator::kEnumerate: the most evaluations per run (states x elements) grad builds; above
  /// it grad throws scg::Error naming the count.
  double max_enumerated = 1024;
  /// Learned baselines: {stochastic node, baseline node}. The baseline node (1x1 or rows x 1)
  /// must not depend on the stochastic node; grad also adds the regression loss
  /// (cost - baseline)^2 so the baseline's parameters train through the same grad. That loss
  /// trains only what the baseline reads and the cost does not: a model parameter or a shared
  /// trunk the baseline reads is held constant in it, so a baseline never changes the
  /// gradient of the expectation. (To train a shared trunk on the baseline's loss too, add that
  /// loss to the cost yourself: it then changes the objective, on purpose.)
  std::vector<std::pair<Var, Var>> learned;
};

/// Gradient of E[cost] with respect to each of `wrt`, as new nodes of the same graph (one
/// per wrt, same shapes). One evaluation is an unbiased single-sample estimate: for every
/// upstream score-function choice, cost x grad log p is added (DiCE's MagicBox, so grad of
/// the result estimates higher derivatives), each choice weighted only by the additive
/// terms of the cost, and the rows, that depend on it. `cost` must be 1x1.
std::vector<Var> grad(const Var& cost, const std::vector<Var>& wrt,
                      const GradOptions& options = {});

/// @}
}  // namespace scg
