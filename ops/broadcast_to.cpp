// broadcast_to: stretches x along its axes of length 1 to the target shape.
// d = sum_to(g, x).
#include "detail.hpp"

namespace scg {
namespace {
class BroadcastToOp final : public Op {
 public:
  explicit BroadcastToOp(Shape target) : Op(traits(target)), target_(target) {}
  std::string name() const override { return "broadcast_to"; }
  Shape infer(std::span<const Shape> in) const override {
    const Shape& x = in[0];
    if ((x.rows != target_.rows && x.rows != 1) || (x.cols != target_.cols && x.cols != 1))
      shape_error(name(), in, "cannot broadcast to " + target_.str());
    return target_;
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    if (x.rows() == 1 && x.cols() == 1) {
      out.matrix().setConstant(x(0, 0));
    } else if (x.rows() == 1) {
      for (Eigen::Index r = 0; r < out.rows(); ++r) out.matrix().row(r) = x.matrix().row(0);
    } else if (x.cols() == 1) {
      for (Eigen::Index c = 0; c < out.cols(); ++c) out.matrix().col(c) = x.matrix().col(0);
    } else {
      out.matrix() = x.matrix();
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {sum_to(g, in[0].shape())};
  }

 private:
  static OpTraits traits(Shape target) {
    OpTraits t = detail::traits(RowLocality::kAll, CostTerms::kSumOfOperands);
    t.label = "broadcast_to " + target.str();
    return t;
  }
  Shape target_;
};
}  // namespace

Var broadcast_to(const Var& x, Shape shape) {
  if (x.shape() == shape) return x;
  return detail::make<BroadcastToOp>({x}, shape);
}
}  // namespace scg
