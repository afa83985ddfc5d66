// broadcast_to and sum_to, each other's adjoint, as one op with a direction:
//   broadcast_to: stretches x along its axes of length 1 to the target.  d = sum_to(g, x's shape)
//   sum_to: sums x over the axes where the target has length 1.          d = broadcast_to(g, x's
//   shape)
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class StretchOp final : public Op {
 public:
  StretchOp(Shape target, bool sum) : Op(traits(target, sum)), target_(target), sum_(sum) {}
  std::string name() const override { return sum_ ? "sum_to" : "broadcast_to"; }
  Shape infer(std::span<const Shape> in) const override {
    // The shape with 1s is the target (sum_to) or the operand (broadcast_to).
    const Shape& small = sum_ ? target_ : in[0];
    const Shape& big = sum_ ? in[0] : target_;
    if ((small.rows != big.rows && small.rows != 1) || (small.cols != big.cols && small.cols != 1))
      shape_error(name(), in,
                  std::string(sum_ ? "cannot sum to " : "cannot broadcast to ") + target_.str());
    return target_;
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& x = in[0]->matrix();
    auto& o = out.matrix();
    if (sum_) {
      if (o.size() == 1)
        o(0, 0) = x.sum();
      else if (o.rows() == 1 && x.rows() != 1)
        o.noalias() = x.colwise().sum();
      else if (o.cols() == 1 && x.cols() != 1)
        o.noalias() = x.rowwise().sum();
      else
        o = x;
    } else {
      if (x.size() == 1)
        o.setConstant(x(0, 0));
      else if (x.rows() == 1)
        for (Eigen::Index r = 0; r < o.rows(); ++r) o.row(r) = x.row(0);
      else if (x.cols() == 1)
        for (Eigen::Index c = 0; c < o.cols(); ++c) o.col(c) = x.col(0);
      else
        o = x;
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {sum_ ? broadcast_to(g, in[0].shape()) : sum_to(g, in[0].shape())};
  }

 private:
  static OpTraits traits(Shape target, bool sum) {
    // Rows stay apart unless summed down (row locality applies only where the operand has
    // as many rows as the output).
    OpTraits t = detail::traits(RowLocality::kAll, CostTerms::kSumOfOperands);
    t.label = (sum ? "sum_to " : "broadcast_to ") + target.str();
    return t;
  }
  Shape target_;
  bool sum_;
};
}  // namespace

Var broadcast_to(const Var& x, Shape shape) {
  if (x.shape() == shape) return x;
  return detail::make<StretchOp>({x}, shape, false);
}

Var sum_to(const Var& x, Shape shape) {
  if (x.shape() == shape) return x;
  return detail::make<StretchOp>({x}, shape, true);
}
}  // namespace scg
