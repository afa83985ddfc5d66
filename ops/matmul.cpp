// matmul: out = a b. d/da = g b^T, d/db = a^T g.
#include "detail.hpp"

namespace scg {
namespace {
class MatmulOp final : public Op {
 public:
  std::string name() const override { return "matmul"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0].cols != in[1].rows) shape_error(name(), in, "inner dimensions differ");
    return {in[0].rows, in[1].cols};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    if (out.rows() == 1 && out.cols() == 1 && in[0]->cols() == 1)
      out(0, 0) = (*in[0])(0, 0) * (*in[1])(0, 0);
    else
      out.matrix().noalias() = in[0]->matrix() * in[1]->matrix();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, const double* in) { return in[0] * in[1]; };
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g) const override {
    return {matmul(g, transpose(in[1])), matmul(transpose(in[0]), g)};
  }
  bool row_local(std::size_t input) const override { return input == 0; }
  Linearity linearity() const override { return Linearity::kEach; }
};
}  // namespace

Var matmul(const Var& a, const Var& b) { return detail::make_shared_op<MatmulOp>({a, b}); }
}  // namespace scg
