// magic_box: DiCE's MagicBox as one op. Value 1 (t's value is never read, so a plan does not
// compute it); d = g out, so to every order it is exactly exp(t - stop_gradient(t)).
#include "detail.hpp"

namespace scg {
namespace {
class MagicBoxOp final : public Op {
 public:
  MagicBoxOp() : Op(traits()) {}
  std::string name() const override { return "magic_box"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const>, Tensor& out, const RunContext&) const override {
    out.matrix().setOnes();
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g,
                            std::span<const char>) const override {
    return {g * out};
  }

 private:
  static OpTraits traits() {
    OpTraits t = detail::traits(RowLocality::kAll);
    t.reads_operands = false;
    t.scalar = [](const void*, double, double) { return 1.0; };
    return t;
  }
};
}  // namespace

Var magic_box(const Var& t) { return detail::make_shared_op<MagicBoxOp>({t}); }
}  // namespace scg
