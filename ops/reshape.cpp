// reshape: the same elements read in row-major order (as NumPy's reshape): element k of the
// row-major sequence of x, x(k / cols_x, k % cols_x), is out(k / cols, k % cols).
// d = reshape(g, x's rows, x's columns). Rows are kept apart only where the shape is kept,
// and then reshape is x itself (no node).
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class ReshapeOp final : public Op {
 public:
  ReshapeOp(Eigen::Index rows, Eigen::Index cols) : Op(traits(rows, cols)), shape_{rows, cols} {}
  std::string name() const override { return "reshape"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0].size() != shape_.size())
      shape_error(name(), in,
                  "cannot hold " + std::to_string(in[0].size()) + " elements as " + shape_.str());
    return shape_;
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    Eigen::Index k = 0;
    for (Eigen::Index r = 0; r < x.rows(); ++r)
      for (Eigen::Index c = 0; c < x.cols(); ++c, ++k)
        out(k / shape_.cols, k % shape_.cols) = x(r, c);
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {reshape(g, in[0].rows(), in[0].cols())};
  }

 private:
  static OpTraits traits(Eigen::Index rows, Eigen::Index cols) {
    OpTraits t = detail::traits(RowLocality::kNone, CostTerms::kSumOfOperands);
    t.label = "reshape " + std::to_string(rows) + "x" + std::to_string(cols);
    return t;
  }
  Shape shape_;
};
}  // namespace

Var reshape(const Var& v, Eigen::Index rows, Eigen::Index cols) {
  if (v.empty()) throw Error("reshape: operand is an empty Var");
  if (rows < 1 || cols < 1)
    throw ShapeError("reshape: " + v.describe() + " to " + std::to_string(rows) + "x" +
                     std::to_string(cols) + ": both sizes must be at least 1");
  if (v.rows() == rows && v.cols() == cols) return v;
  return v.graph().apply(std::make_shared<const ReshapeOp>(rows, cols), {v});
}
}  // namespace scg
