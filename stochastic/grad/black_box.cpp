// black_box(value, choices): a cost computed outside the graph (a simulator's reward, a
// rating) brought back in. The value is operand 0's; the node depends, for grad, on exactly
// the listed choices (operands 1..k; their values are not read) and on nothing operand 0
// depends on (OpTraits::opaque_operands). No derivative flows through it. Row-local in every
// operand: where a choice has the value's rows, row i of the value depends on row i of that
// choice only; a choice with other rows makes every row depend on all of it.
#include "scg/core/distribution.hpp"
#include "scg/core/error.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/stochastic/distributions/distributions.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"

namespace scg {
namespace {

OpTraits black_box_traits() {
  OpTraits t;
  t.rows = RowLocality::kAll;
  t.opaque_operands = RowLocality::only(0);
  return t;
}

class BlackBoxOp final : public Op {
 public:
  BlackBoxOp() : Op(black_box_traits()) {}
  std::string name() const override { return "black_box"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.matrix() = in[0]->matrix();
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var&,
                            std::span<const char>) const override {
    return std::vector<Var>(in.size());
  }
};

}  // namespace

bool detail::is_black_box(const Op* op) { return dynamic_cast<const BlackBoxOp*>(op) != nullptr; }

Var black_box(Var value, const std::vector<Var>& choices) {
  if (value.empty()) throw Error("black_box: the value is an empty Var");
  Graph& g = value.graph();
  if (choices.empty())
    throw Error("black_box: no choices listed for " + value.describe() +
                "; a cost that depends on no random choice needs no black_box");
  std::vector<Var> in{value};
  in.reserve(choices.size() + 1);
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const Var& c = choices[i];
    if (c.empty()) throw Error("black_box: choice " + std::to_string(i) + " is an empty Var");
    g.check_own(c, "black_box", "a choice");
    if (!stochastic_op(c))
      throw Error("black_box: choice " + std::to_string(i) + ", " + c.describe() +
                  ", is not a stochastic node (list the bernoulli, categorical, ... nodes the "
                  "value depends on)");
    in.push_back(c);
  }
  static const auto op = std::make_shared<const BlackBoxOp>();
  return g.apply(op, in);
}

}  // namespace scg
