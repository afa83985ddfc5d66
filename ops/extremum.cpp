// max(v, axis) and min(v, axis): the largest or smallest entry of each column (axis 0) or row
// (axis 1). d = g at the first arg-extreme entry of each column or row, 0 elsewhere:
// d = stretch(g) * arg_extreme(v), where arg_extreme is a 0/1 mask (no derivative) of the same
// op family, so the gradient is built from ops.
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class ExtremumOp final : public Op {
 public:
  // mask: the 0/1 mask of the first arg-extreme (v's shape) instead of the values.
  ExtremumOp(int axis, bool largest, bool mask)
      : Op(traits(axis, largest, mask)), axis_(axis), largest_(largest), mask_(mask) {}
  std::string name() const override {
    return std::string(mask_ ? "arg" : "") + (largest_ ? "max" : "min");
  }
  Shape infer(std::span<const Shape> in) const override {
    if (mask_) return in[0];
    return axis_ == 0 ? Shape{1, in[0].cols} : Shape{in[0].rows, 1};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& x = in[0]->matrix();
    if (mask_) out.matrix().setZero();
    const Eigen::Index lines = axis_ == 0 ? x.cols() : x.rows();
    for (Eigen::Index k = 0; k < lines; ++k) {
      Eigen::Index at = 0;
      const double v = axis_ == 0 ? (largest_ ? x.col(k).maxCoeff(&at) : x.col(k).minCoeff(&at))
                                  : (largest_ ? x.row(k).maxCoeff(&at) : x.row(k).minCoeff(&at));
      if (mask_)
        out(axis_ == 0 ? at : k, axis_ == 0 ? k : at) = 1.0;
      else
        out(axis_ == 0 ? 0 : k, axis_ == 0 ? k : 0) = v;
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char>) const override {
    if (mask_) return {Var()};
    const Var mask = detail::make<ExtremumOp>({in[0]}, axis_, largest_, true);
    return {broadcast_to(g, in[0].shape()) * mask};
  }

 private:
  static OpTraits traits(int axis, bool largest, bool mask) {
    OpTraits t = detail::traits(axis == 1 ? RowLocality::kAll : RowLocality::kNone);
    t.label = std::string(mask ? "arg" : "") + (largest ? "max " : "min ") + std::to_string(axis);
    return t;
  }
  int axis_;
  bool largest_, mask_;
};

Var extremum(const Var& v, int axis, bool largest) {
  detail::axis_shape(v, axis, largest ? "max" : "min");  // checks the axis
  return detail::make<ExtremumOp>({v}, axis, largest, false);
}
}  // namespace

Var max(const Var& v, int axis) { return extremum(v, axis, true); }
Var min(const Var& v, int axis) { return extremum(v, axis, false); }
}  // namespace scg
