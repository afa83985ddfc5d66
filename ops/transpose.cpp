// transpose: out = x^T. d = g^T.
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class TransposeOp final : public Op {
 public:
  TransposeOp() : Op(traits()) {}
  std::string name() const override { return "transpose"; }
  Shape infer(std::span<const Shape> in) const override { return {in[0].cols, in[0].rows}; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.matrix().noalias() = in[0]->matrix().transpose();
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {transpose(g)};
  }

 private:
  static OpTraits traits() {
    OpTraits t = detail::traits(RowLocality::kNone, CostTerms::kSumOfOperands);
    t.scalar = [](const void*, double a, double) { return a; };
    return t;
  }
};

const std::shared_ptr<const TransposeOp>& transpose_op() {
  static const auto op = std::make_shared<const TransposeOp>();
  return op;
}
}  // namespace

bool detail::transposed_operand(const Var& v, Var& operand) {
  Graph& g = v.graph();
  if (g.op(v.id()) != transpose_op().get()) return false;
  operand = g.var(g.inputs(v.id())[0]);
  return true;
}

Var transpose(const Var& x) {
  if (x.empty()) throw Error("transpose: operand is an empty Var");
  Var inner;
  if (detail::transposed_operand(x, inner)) return inner;  // (x^T)^T is x
  return x.graph().apply(transpose_op(), {x});
}
}  // namespace scg
