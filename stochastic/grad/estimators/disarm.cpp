// Estimator::kDisarm (Dong, Mnih and Tucker 2020) over the antithetic row pairs of a node with
// logits (bernoulli_pairs), in two forms.
//
// Row by row: per pair (a, b) = (2i, 2i+1) and element j, d E[c_a + c_b] / d l_j is estimated
// by (c_a - c_b) (-1)^(z_b,j) [z_a,j != z_b,j] sigmoid(|l_j|), half on each row's logit.
//
// Inside multi-sample bounds (the paper's section 5, "local DisARM"): the node's rows reach the
// cost through L = log_mean_exp(reshape(y, rows / 2, 2 C), K), y holding one row per row of
// the node. Row i of reshape(y) is pair i's two rows side by side, so L's first C columns are
// K-sample bounds over the pairs' first rows and its last C columns bounds over their second
// rows: two bounds per example, each of K independent samples, whose mean is an unbiased
// estimate of the K-sample bound (each of them is one). For a bound over first rows, pair i's
// first row r is one of its samples and the second row p its antithetic partner, a
// counterfactual that is not in the bound: holding the other samples fixed, DisARM over the
// pair estimates d E[L] / d l_r by (L - L[y_r -> y_p]) (-1)^(z_p) [z_r != z_p] sigmoid(|l_r|)
// / 2, L[y_r -> y_p] the bound with sample r's value replaced by its partner's; the same with
// the roles swapped for a bound over second rows. Each row's logit gets its own bound's
// estimate, weighted by d cost / d L. The node's score term is cancelled in both forms. First
// order.
#include <cmath>
#include <limits>

#include "scg/core/error.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/bounds.hpp"
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {
namespace {

// Per row i of x ((groups of k rows) x 2C) and column c: L_c - L_c[x(i, c) -> x(i, c')], c'
// the partner column (c + C or c - C), L_c the log-sum-exp of column c over i's group (the
// log k of the mean cancels). Shifted by the largest term of each; an -inf swapped in gives
// +inf only where the group has no other finite entry, which the cost cannot reach with a
// finite bound. O(k) per entry. No derivative: the signal is held constant.
class SwapOneOp final : public Op {
 public:
  explicit SwapOneOp(Eigen::Index k) : Op(detail::traits(RowLocality::kNone)), k_(k) {}
  std::string name() const override { return "disarm_swap_one"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0].rows % k_ != 0 || in[0].cols % 2 != 0)
      shape_error(name(), in, "rows not in groups, or an odd number of columns");
    return in[0];
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    const Eigen::Index half = x.cols() / 2;
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      const Eigen::Index partner = c < half ? c + half : c - half;
      for (Eigen::Index r0 = 0; r0 < x.rows(); r0 += k_)
        for (Eigen::Index r = r0; r < r0 + k_; ++r)
          out(r, c) = log_sum(x, r0, c, -1, 0.0) - log_sum(x, r0, c, r, x(r, partner));
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var&,
                            std::span<const char>) const override {
    return std::vector<Var>(in.size());
  }

 private:
  // log sum_j exp x(j, c) over the group at r0, with row `swap` (if >= 0) reading `value`.
  double log_sum(const Tensor& x, Eigen::Index r0, Eigen::Index c, Eigen::Index swap,
                 double value) const {
    double m = -std::numeric_limits<double>::infinity();
    for (Eigen::Index j = r0; j < r0 + k_; ++j) m = std::max(m, j == swap ? value : x(j, c));
    if (!std::isfinite(m)) return m;
    double sum = 0;
    for (Eigen::Index j = r0; j < r0 + k_; ++j) sum += std::exp((j == swap ? value : x(j, c)) - m);
    return m + std::log(sum);
  }
  Eigen::Index k_;
};

// (rows x 1) per row of the node: the sum over its bounds of d cost / d L times L - L[its
// value -> its partner's] (see the file comment). Throws unless every bound reads the node's
// pairs as reshape(y, rows / 2, 2 C) of a y read row by row from the node.
Var bound_signals(EstimatorContext& ctx, std::size_t s, const std::string& who) {
  Graph& g = ctx.g;
  const std::vector<std::size_t> bounds =
      grouped_bounds(g, ctx.deps, s, ctx.builder, who, /*only_bounds=*/true);
  std::vector<Var> nodes;
  for (std::size_t n : bounds) nodes.push_back(g.var(n));
  const std::vector<Var> weights = score_coefficients(ctx.surrogate, nodes);  // d surrogate / d L
  const Eigen::Index rows = g.shape(s).rows;
  Var signal;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const std::size_t x = g.inputs(bounds[i])[0];
    const std::size_t y = g.op(x) && is_reshape(g.op(x)) ? g.inputs(x)[0] : x;
    bool row_by_row = false;
    for (const Dep& d : ctx.deps.list(y)) row_by_row = row_by_row || (d.choice == s && d.row_local);
    if (y == x || g.shape(y).rows != rows || !row_by_row || g.shape(x).rows * 2 != rows ||
        g.shape(x).cols != 2 * g.shape(y).cols)
      throw Error(who + ": the bound " + g.describe(bounds[i]) +
                  " does not read the pairs side by side; write it as log_mean_exp(reshape(y, " +
                  std::to_string(rows / 2) + ", 2 * y.cols()), K) with y one row per row of the " +
                  "node (its first columns the bound over the pairs' first rows, its last " +
                  "columns the bound over their second rows)");
    const Eigen::Index k = g.shape(x).rows / g.shape(bounds[i]).rows, cols = g.shape(y).cols;
    Tensor groups(rows / 2, 1);
    for (Eigen::Index r = 0; r < rows / 2; ++r) groups(r, 0) = static_cast<double>(r / k);
    const Var w = gather_rows(stop_gradient(weights[i]), g.constant(std::move(groups)));
    const Var change = w * make<SwapOneOp>({g.var(x)}, k);         // (rows / 2) x 2C
    const Var both = concat({sum(slice_cols(change, 0, cols), 1),  // first rows' bounds
                             sum(slice_cols(change, cols, cols), 1)},
                            1);
    const Var t = reshape(both, rows, 1);  // row 2i: first, 2i + 1: second
    signal = signal.empty() ? t : signal + t;
  }
  return stop_gradient(signal);
}

Var disarm_terms(EstimatorContext& ctx, std::size_t s) {
  const std::string who = to_string(Estimator::kDisarm);
  const Var node = ctx.g.var(s), logits = ctx.g.var(ctx.g.inputs(s)[0]);
  const Var c = ctx.score_coefficient(s);
  Var estimate;
  if (ctx.builder.grouped_somewhere(s) && !ctx.builder.full_somewhere(s)) {
    const Var partner = pair_mix(node, 0, 1, 1, 0);
    const Var w = (1.0 - 2.0 * partner) * abs(node - partner) * sigmoid(abs(logits));
    estimate = 0.5 * bound_signals(ctx, s, "grad: " + who + " for " + ctx.g.describe(s)) * w;
  } else {
    ctx.require_row_local(s, who);
    const Var za = pair_mix(node, 1, 0, 1, 0), zb = pair_mix(node, 0, 1, 0, 1);
    const Var w = (1.0 - 2.0 * zb) * abs(za - zb) * sigmoid(abs(logits));
    estimate = 0.5 * pair_mix(c, 1, -1, 1, -1) * w;
  }
  return score_cancelling(ctx.builder.rho(s), c) + first_order_weighted(estimate, logits, who);
}

}  // namespace

const EstimatorRule& disarm_rule() {
  static const EstimatorRule rule{Estimator::kDisarm, "kDisarm",
                                  [](const DistributionTraits& d) {
                                    return d.antithetic_pairs && d.logits
                                               ? std::string()
                                               : std::string(
                                                     "it is not a bernoulli_pairs node (DisARM "
                                                     "needs rows drawn in antithetic pairs from "
                                                     "logits)");
                                  },
                                  1, disarm_terms};
  return rule;
}

}  // namespace scg::detail
