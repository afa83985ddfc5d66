// Baseline::kVimco (see vimco.hpp).
#include "scg/stochastic/grad/detail/vimco.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "scg/ops/detail/helpers.hpp"
#include "scg/stochastic/grad/detail/bounds.hpp"
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {
namespace {

// L_{-r}: per row r of x (rows in groups of k, k >= 2) and column c, log((sum_{j != r} e^x_j +
// e^m) / k) over r's group, m the mean of the group's other entries: the bound with x_r
// replaced by the geometric mean of the others' weights. Shifted by the largest term (a group
// with -inf entries: an -inf mean gives weight 0). O(k) per row (each row's own shift and sum:
// subtracting a dominant x_r from the group's sum would cancel). No derivative: VIMCO holds its
// baseline constant.
class LeaveOneOutBoundOp final : public Op {
 public:
  explicit LeaveOneOutBoundOp(Eigen::Index k) : Op(detail::traits(RowLocality::kNone)), k_(k) {}
  std::string name() const override { return "vimco_leave_one_out"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0].rows % k_ != 0) shape_error(name(), in, "rows not divisible into groups");
    return in[0];
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    constexpr double kNegInf = -std::numeric_limits<double>::infinity();
    const Tensor& x = *in[0];
    const double log_k = std::log(static_cast<double>(k_));
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      for (Eigen::Index r0 = 0; r0 < x.rows(); r0 += k_) {
        double total = 0;  // of the finite entries; an -inf entry makes every other mean -inf
        int neg_inf = 0;
        for (Eigen::Index j = 0; j < k_; ++j)
          x(r0 + j, c) == kNegInf ? ++neg_inf : (total += x(r0 + j, c), 0);
        for (Eigen::Index r = r0; r < r0 + k_; ++r) {
          const bool self_inf = x(r, c) == kNegInf;
          const double mean =
              neg_inf - (self_inf ? 1 : 0) > 0
                  ? kNegInf
                  : (total - (self_inf ? 0.0 : x(r, c))) / static_cast<double>(k_ - 1);
          double m = mean;
          for (Eigen::Index j = r0; j < r0 + k_; ++j)
            if (j != r) m = std::max(m, x(j, c));
          if (!std::isfinite(m)) {
            out(r, c) = m;
            continue;
          }
          double sum = std::exp(mean - m);
          for (Eigen::Index j = r0; j < r0 + k_; ++j)
            if (j != r) sum += std::exp(x(j, c) - m);
          out(r, c) = m + std::log(sum) - log_k;
        }
      }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var&,
                            std::span<const char>) const override {
    return std::vector<Var>(in.size());
  }

 private:
  Eigen::Index k_;
};

}  // namespace

Var vimco_term(Graph& g, const Var& surrogate, std::size_t s, Surrogate& builder,
               const Dependencies& deps) {
  const std::string who = "grad: Baseline::kVimco for " + g.describe(s);
  if (builder.full_somewhere(s))
    throw Error(who +
                ": it reaches the cost through ops that mix rows, so the other samples' "
                "bounds depend on this sample");
  const std::vector<std::size_t> bounds = grouped_bounds(g, deps, s, builder, who, false);
  for (std::size_t n : bounds)
    if (g.shape(g.inputs(n)[0]).rows != g.shape(s).rows)
      throw Error(who + ": the bound " + g.describe(n) + " groups " +
                  std::to_string(g.shape(g.inputs(n)[0]).rows) +
                  " rows, not one sample per row of the choice");
  if (bounds.empty())
    throw Error(who +
                ": it reaches the cost through no log_mean_exp bound over groups of samples "
                "(VIMCO's leave-one-out is defined within such groups)");
  std::vector<Var> nodes;
  for (std::size_t v : bounds) nodes.push_back(g.var(v));
  const std::vector<Var> weights = score_coefficients(surrogate, nodes);  // d surrogate / d L
  Var b;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const Var x = g.var(g.inputs(bounds[i])[0]);
    const Eigen::Index k = x.rows() / g.shape(bounds[i]).rows;
    if (k < 2)
      throw Error(who + ": the bound " + g.describe(bounds[i]) +
                  " has groups of 1 sample; VIMCO needs at least 2 per group");
    Tensor groups(x.rows(), 1);
    for (Eigen::Index r = 0; r < x.rows(); ++r) groups(r, 0) = static_cast<double>(r / k);
    const Var w = gather_rows(stop_gradient(weights[i]), g.constant(std::move(groups)));
    const Var t = sum(w * make<LeaveOneOutBoundOp>({x}, k), 1);
    b = b.empty() ? t : b + t;
  }
  const Var rho = builder.rho(s);
  b = stop_gradient(b);
  // Value 0, gradient -b d rho, no second derivative.
  return stop_gradient(sum(b * rho)) - first_order_weighted(b, rho, "Baseline::kVimco");
}

}  // namespace scg::detail
