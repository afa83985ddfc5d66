// Estimator::kDreg (Tucker, Lawson, Gu and Maddison 2019): doubly reparameterized gradients for
// a pathwise node z inside a multi-sample bound L_b = log_mean_exp(log w, K)_b, log w_k =
// log p(x, z_k) - log q(z_k) with log q = log_prob(z). The IWAE gradient's part through q's
// parameters phi is sum_k w~_k (d log w_k / d z_k) (d z_k / d phi) - w~_k d log q(z_k) / d phi
// (explicit); DReG replaces it by sum_k w~_k^2 (d log w_k / d z_k) (d z_k / d phi), w~ the
// normalized weights of the sample's group: unbiased for the same gradient (the explicit score
// term equals, in expectation, the reparameterized derivative of w~_k). Built as one term
// C' - C (value 0): C' is the cost cloned below z with z read through an op whose derivative
// is g w~ (per row) and log_prob(z)'s parameters held constant. Other parameters (the model's,
// p's) keep the plain IWAE gradient. First order (the scaled derivative refuses a second).
#include "scg/core/distribution.hpp"
#include "scg/core/error.hpp"
#include "scg/core/reverse.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/below.hpp"
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {
namespace {

// out = g .* w (w rows x 1, broadcast over columns); its derivative throws: DReG is first order.
class ScaledDerivativeOp final : public Op {
 public:
  ScaledDerivativeOp() : Op(detail::traits(RowLocality::kAll)) {}
  std::string name() const override { return "dreg_scaled_derivative"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    for (Eigen::Index c = 0; c < out.cols(); ++c)
      out.matrix().col(c) = in[0]->matrix().col(c).cwiseProduct(in[1]->matrix().col(0));
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&,
                            std::span<const char>) const override {
    throw Error(
        "grad: Estimator::kDreg is a first-order estimator: its estimate cannot be differentiated "
        "again (a higher derivative through it would be wrong); use Estimator::kPathwise there");
  }
};

// out = z; d/dz = g .* w (the sample's derivative weighted by its normalized weight again).
class DregSampleOp final : public Op {
 public:
  DregSampleOp() : Op(detail::traits(RowLocality::kAll)) {}
  std::string name() const override { return "dreg_sample"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.matrix() = in[0]->matrix();
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {make<ScaledDerivativeOp>({g, in[1]}), Var()};
  }
};

/// The nodes below z among the cost's ancestors; throws for a stochastic node there (a clone
/// would draw it again).
std::vector<char> below_sample(const EstimatorContext& ctx, std::size_t z, const std::string& who) {
  const Graph& g = ctx.g;
  return sweep_below(g, ctx.deps.ancestors(), z, ctx.deps.top(), [&](std::size_t id, bool reads) {
    if (id == z) return true;
    if (reads && dynamic_cast<const Distribution*>(g.op(id)))
      throw Error(who + ": " + g.describe(id) +
                  " is a random choice below it; DReG clones what "
                  "depends on the sample, and would draw it again");
    return reads;
  });
}

/// The bound z is inside: the one log_mean_exp node below z whose operand holds one row per
/// row of z (one column), through which alone z reaches the cost, the cost linear in it.
std::size_t the_bound(const EstimatorContext& ctx, std::size_t z, const std::vector<char>& below,
                      const std::string& who) {
  const Graph& g = ctx.g;
  const std::size_t top = ctx.deps.top();
  std::size_t bound = SIZE_MAX;
  for (std::size_t id = z; id <= top; ++id)
    if (below[id] && is_log_mean_exp(g.op(id)) &&
        g.shape(g.inputs(id)[0]).rows == g.shape(z).rows && g.shape(id).rows != g.shape(z).rows) {
      if (bound != SIZE_MAX)
        throw Error(who + ": it is inside two multi-sample bounds, " + g.describe(bound) + " and " +
                    g.describe(id) + "; DReG needs one");
      bound = id;
    }
  if (bound == SIZE_MAX)
    throw Error(who +
                ": it reaches the cost through no log_mean_exp bound over groups of its "
                "rows (DReG is for the samples of a multi-sample bound)");
  if (g.shape(g.inputs(bound)[0]).cols != 1)
    throw Error(who + ": the bound " + g.describe(bound) + " has " +
                std::to_string(g.shape(bound).cols) +
                " columns; DReG needs one log-weight per sample");
  // From the cost down: only ops linear in their one operand below z, until the bound.
  std::vector<std::size_t> stack{top};
  while (!stack.empty()) {
    const std::size_t n = stack.back();
    stack.pop_back();
    if (n == bound) continue;
    if (n == z) throw Error(who + ": the cost reads it outside the bound " + g.describe(bound));
    std::vector<std::size_t> dependent;
    const auto in = g.inputs(n);
    for (std::size_t i : in)
      if (below[i]) dependent.push_back(i);
    const CostTerms t = g.op(n)->traits().terms;
    const bool linear =
        (t == CostTerms::kSumOfOperands && !dependent.empty()) ||
        (t == CostTerms::kScaledOperand && dependent.size() == 1) ||
        (t == CostTerms::kScaledFirst && dependent.size() == 1 && dependent[0] == in[0]);
    if (!linear)
      throw Error(who + ": the cost reads it through " + g.describe(n) + ", outside the bound " +
                  g.describe(bound) + " or not linearly in it");
    stack.insert(stack.end(), dependent.begin(), dependent.end());
  }
  return bound;
}

Var dreg_terms(EstimatorContext& ctx, std::size_t z) {
  const std::string who = "grad: " + to_string(Estimator::kDreg) + " for " + ctx.g.describe(z);
  Graph& g = ctx.g;
  const std::size_t top = ctx.deps.top();
  const std::vector<char> below = below_sample(ctx, z, who);
  const std::size_t bound = the_bound(ctx, z, below, who);
  const Var* lq = g.cached_log_prob(z);
  const std::vector<char> in_bound = g.ancestors(std::vector<std::size_t>{g.inputs(bound)[0]});
  if (!lq || lq->id() >= in_bound.size() || !in_bound[lq->id()])
    throw Error(who +
                ": the bound's log-weights do not read log_prob of it; DReG needs log w = "
                "log p(x, z) - log_prob(z)");
  // The normalized weights of each sample in its group: d L_b / d x_k, held constant.
  const Var x = g.var(g.inputs(bound)[0]);
  const Var w = stop_gradient(reverse_mode(sum(g.var(bound)), g.constant(1.0), {x},
                                           [](const Var& a, const Var& b) { return a + b; })[0]);
  const auto& dist = *static_cast<const Distribution*>(g.op(z));
  Var sample;
  const Var clone = clone_below(g, below, z, top, [&](std::size_t id, const std::vector<Var>&) {
    if (id == z) return sample = make<DregSampleOp>({g.var(z), w});
    if (id != lq->id()) return Var();
    std::vector<Var> params;  // log q with q's parameters held: no explicit score term
    for (std::size_t p : g.inputs(z)) params.push_back(stop_gradient(g.var(p)));
    return dist.log_prob(params, sample);
  });
  return clone - g.var(top);
}

}  // namespace

const EstimatorRule& dreg_rule() {
  static const EstimatorRule rule{Estimator::kDreg,
                                  "kDreg",
                                  [](const DistributionTraits& d) {
                                    return d.path == GradientPath::kPathwise
                                               ? std::string()
                                               : std::string(
                                                     "its samples are not differentiable in its "
                                                     "parameters (DReG is for reparameterized "
                                                     "nodes)");
                                  },
                                  1,
                                  dreg_terms,
                                  true};
  return rule;
}

}  // namespace scg::detail
