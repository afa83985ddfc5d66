// log_mean_exp: rows in consecutive groups of k (k samples of one example stacked as k rows);
// row b, column c of the result is log((1/k) sum_j e^(x_{bk+j, c})), shifted by the group's
// largest entry (a maximum of 1e300 or -1e300 is fine; -inf entries weigh 0, a group of all
// -inf gives -inf; +inf or NaN passes through). Row b reads rows [bk, (b + 1) k) only
// (OpTraits::row_group), so grad keeps examples apart: example b's samples are weighted only
// by example b's bound.
// d = expand(g) .* w with w = group_softmax(x): e^(x - out_b) / k within each group (0 in a
// group of all -inf), and expand(g) the rows of g repeated k times (gather_rows). w's own
// derivative: d sum(h .* w) = w .* (h - group_sum(h .* w, k)), so it differentiates to any
// order.
#include <cmath>
#include <limits>

#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {

/// The largest entry of column c over rows [r0, r0 + k) of x.
double group_max(const Tensor& x, Eigen::Index r0, Eigen::Index k, Eigen::Index c) {
  double m = -std::numeric_limits<double>::infinity();
  for (Eigen::Index j = 0; j < k; ++j) m = std::max(m, x(r0 + j, c));
  return m;
}

// The weights of each entry in its group's mean of exponentials: e^(x - m) / sum_j e^(x_j - m)
// per group and column (0 where the group is all -inf).
class GroupSoftmaxOp final : public Op {
 public:
  explicit GroupSoftmaxOp(Eigen::Index k) : Op(traits(k)), k_(k) {}
  std::string name() const override { return "group_softmax"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      for (Eigen::Index r0 = 0; r0 < x.rows(); r0 += k_) {
        const double m = group_max(x, r0, k_, c);
        double total = 0;
        for (Eigen::Index j = 0; j < k_; ++j)
          total += out(r0 + j, c) =
              m == -std::numeric_limits<double>::infinity() ? 0.0 : std::exp(x(r0 + j, c) - m);
        for (Eigen::Index j = 0; j < k_ && total > 0; ++j) out(r0 + j, c) /= total;
      }
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g,
                            std::span<const char>) const override {
    const Var hw = g * out;
    return {hw - out * group_sum(hw, k_)};
  }

 private:
  static OpTraits traits(Eigen::Index k) {
    OpTraits t = detail::traits(RowLocality::kNone);
    t.label = "group_softmax " + std::to_string(k);
    return t;
  }
  Eigen::Index k_;
};

class LogMeanExpOp final : public Op {
 public:
  explicit LogMeanExpOp(Eigen::Index k) : Op(traits(k)), k_(k) {}
  std::string name() const override { return "log_mean_exp"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0].rows % k_ != 0)
      shape_error(name(), in,
                  "rows not divisible into groups of " + std::to_string(k_) + " samples");
    return {in[0].rows / k_, in[0].cols};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    const double log_k = std::log(static_cast<double>(k_));
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      for (Eigen::Index b = 0; b < out.rows(); ++b) {
        const double m = group_max(x, b * k_, k_, c);
        if (!std::isfinite(m)) {
          out(b, c) = m;  // all -inf gives -inf; +inf or NaN passes through
          continue;
        }
        double total = 0;
        for (Eigen::Index j = 0; j < k_; ++j) total += std::exp(x(b * k_ + j, c) - m);
        out(b, c) = m + std::log(total) - log_k;
      }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char>) const override {
    Tensor rows(in[0].rows(), 1);
    for (Eigen::Index r = 0; r < rows.rows(); ++r) rows(r, 0) = static_cast<double>(r / k_);
    const Var expanded = gather_rows(g, detail::constant_like(g, std::move(rows)));
    return {expanded * detail::make<GroupSoftmaxOp>({in[0]}, k_)};
  }

 private:
  static OpTraits traits(Eigen::Index k) {
    OpTraits t = detail::traits(RowLocality::kAll);
    t.row_group = static_cast<std::uint32_t>(k);
    t.label = "log_mean_exp " + std::to_string(k);
    return t;
  }
  Eigen::Index k_;
};

}  // namespace

bool detail::is_log_mean_exp(const Op* op) {
  return dynamic_cast<const LogMeanExpOp*>(op) != nullptr;
}

Var log_mean_exp(const Var& v, Eigen::Index group) {
  if (v.empty()) throw Error("log_mean_exp: the operand is an empty Var");
  if (group < 1 || group > std::numeric_limits<std::uint32_t>::max())
    throw Error("log_mean_exp(" + v.describe() + ", " + std::to_string(group) +
                "): the group size must be at least 1");
  return detail::make<LogMeanExpOp>({v}, group);
}

}  // namespace scg
