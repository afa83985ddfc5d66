// concat: the parts side by side along an axis (0: stacked rows, 1: columns side by side).
// Linear in all parts together. d/dpart_k = the slice of g where part k sits.
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class ConcatOp final : public Op {
 public:
  explicit ConcatOp(int axis) : Op(traits(axis)), axis_(axis) {}
  std::string name() const override { return "concat"; }
  Shape infer(std::span<const Shape> in) const override {
    Shape out = in[0];
    for (std::size_t i = 1; i < in.size(); ++i) {
      const Eigen::Index other = axis_ == 0 ? in[i].cols : in[i].rows,
                         own = axis_ == 0 ? out.cols : out.rows;
      if (other != own)
        shape_error(name(), in,
                    std::string("parts must have the same number of ") +
                        (axis_ == 0 ? "columns" : "rows") + " (part " + std::to_string(i) +
                        " differs)");
      (axis_ == 0 ? out.rows : out.cols) += axis_ == 0 ? in[i].rows : in[i].cols;
    }
    return out;
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    Eigen::Index at = 0;
    for (const Tensor* t : in) {
      if (axis_ == 0)
        out.matrix().middleRows(at, t->rows()) = t->matrix();
      else
        out.matrix().middleCols(at, t->cols()) = t->matrix();
      at += axis_ == 0 ? t->rows() : t->cols();
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char> needed) const override {
    std::vector<Var> d(in.size());
    Eigen::Index at = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const Eigen::Index n = axis_ == 0 ? in[i].rows() : in[i].cols();
      if (needed[i]) d[i] = axis_ == 0 ? slice_rows(g, at, n) : slice_cols(g, at, n);
      at += n;
    }
    return d;
  }

 private:
  static OpTraits traits(int axis) {
    // Side by side (axis 1), row i of the output is row i of every part.
    OpTraits t = detail::traits(axis == 1 ? RowLocality::kAll : RowLocality::kNone,
                                CostTerms::kSumOfOperands);
    t.label = "concat " + std::to_string(axis);
    return t;
  }
  int axis_;
};
}  // namespace

Var concat(const std::vector<Var>& parts, int axis) {
  if (parts.empty()) throw Error("concat: no parts");
  if (axis != 0 && axis != 1)
    throw Error("concat: axis " + std::to_string(axis) +
                " must be 0 (stack rows) or 1 (columns side by side)");
  if (parts.size() == 1) return parts[0];
  return detail::make<ConcatOp>(parts, axis);
}
}  // namespace scg
