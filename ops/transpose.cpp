// transpose: out = x^T. d = g^T.
#include "detail.hpp"

namespace scg {
namespace {
class TransposeOp final : public Op {
 public:
  std::string name() const override { return "transpose"; }
  Shape infer(std::span<const Shape> in) const override { return {in[0].cols, in[0].rows}; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.matrix().noalias() = in[0]->matrix().transpose();
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var& g) const override {
    return {transpose(g)};
  }
  Linearity linearity() const override { return Linearity::kJoint; }
};
}  // namespace

Var transpose(const Var& x) { return detail::make_shared_op<TransposeOp>({x}); }
}  // namespace scg
