// Estimator::kEnumerate: the exact sum over a node's states of d p(state) times the row's cost
// at that state, the other choices sampled (Liu et al. 2019's local enumeration): per element
// for a distribution whose elements are independent (bernoulli), per row for one whose rows
// are (categorical), by cloning the part of the graph between the node and the cost once per
// state. p(state) is the distribution's own log_prob at that state. The node's score term is
// cancelled. First order.
#include "scg/core/error.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/below.hpp"
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {
namespace {

// One state value of a 1 x cols piece of node s (an element: cols = 1; a row).
Tensor unit_state(const Distribution& d, std::size_t k, Eigen::Index cols) {
  Tensor unit(1, cols);
  d.state(k, unit);
  return unit;
}

void check_count(const EstimatorContext& ctx, std::size_t s, double evaluations) {
  if (evaluations > ctx.options.max_enumerated)
    throw Error("grad: Estimator::kEnumerate for " + ctx.g.describe(s) + " needs " +
                std::to_string(static_cast<long>(evaluations)) +
                " evaluations of the cost per run, above GradOptions::max_enumerated (" +
                std::to_string(static_cast<long>(ctx.options.max_enumerated)) + ")");
}

Var enumerate_terms(EstimatorContext& ctx, std::size_t s) {
  const std::string who = to_string(Estimator::kEnumerate);
  Graph& g = ctx.g;
  // A one-row node's states are the node's own, however its row is broadcast or mixed later.
  if (g.shape(s).rows > 1) ctx.require_row_local(s, who);
  require_no_downstream_choice(g, ctx.deps, s, who);  // estimator_rule.cpp
  const auto& d = *static_cast<const Distribution*>(g.op(s));
  const Shape shape = g.shape(s);
  const bool rows = d.distribution_traits().layout == StateLayout::kRows;
  const Eigen::Index piece = rows ? shape.cols : 1;  // columns of one enumerated piece
  const auto k_states = static_cast<std::size_t>(d.state_count({1, piece}));
  const double evaluations = static_cast<double>(k_states) * (rows ? 1.0 : double(shape.cols));
  check_count(ctx, s, evaluations);
  const Var c = ctx.score_coefficient(s);
  Var out = score_cancelling(ctx.builder.rho(s), c);
  // Per state k: the node at k everywhere, and p(k) of every element or row at once (log_prob
  // once per state, not once per state and column).
  std::vector<Var> full, p_all;
  for (std::size_t k = 0; k < k_states; ++k) {
    const Tensor unit = unit_state(d, k, piece);
    Tensor value(shape, rows ? 0.0 : unit(0, 0));
    for (Eigen::Index r = 0; rows && r < shape.rows; ++r)
      value.matrix().row(r) = unit.matrix().row(0);
    full.push_back(g.constant(std::move(value)));
    p_all.push_back(exp(log_prob_at(g, s, full.back())));
  }
  const Var node = g.var(s);
  for (Eigen::Index j = 0; j < (rows ? 1 : shape.cols); ++j) {
    Tensor mask(shape);
    if (!rows) mask.matrix().col(j).setOnes();
    const Var m = rows ? Var() : g.constant(std::move(mask));
    for (std::size_t k = 0; k < k_states; ++k) {
      const Var state = rows ? full[k] : where(m, full[k], node);
      const Var p = rows ? p_all[k] : slice_cols(p_all[k], j, 1);
      out = out + first_order_weighted(clone_with(g, c, s, state, who), p, who);
    }
  }
  return out;
}

}  // namespace

const EstimatorRule& enumerate_rule() {
  static const EstimatorRule rule{
      Estimator::kEnumerate, "kEnumerate",
      [](const DistributionTraits& d) {
        if (d.path != GradientPath::kScore || d.support != Support::kFinite)
          return std::string("discrete nodes only");
        if (d.layout == StateLayout::kJoint)
          return std::string(
              "discrete nodes only whose elements or rows are independent (bernoulli, "
              "categorical): its states cannot be enumerated one piece at a time");
        return std::string();
      },
      1, enumerate_terms};
  return rule;
}

}  // namespace scg::detail
