// pair_mix: rows in consecutive pairs (2i, 2i+1) mixed by a fixed 2x2 matrix m:
//   out_2i = m00 x_2i + m01 x_2i+1,   out_2i+1 = m10 x_2i + m11 x_2i+1.
// Linear; d = pair_mix(g, m transposed). (DisARM reads the two rows of each antithetic pair.)
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class PairMixOp final : public Op {
 public:
  PairMixOp(double m00, double m01, double m10, double m11)
      : Op(traits(m00, m01, m10, m11)), m_{m00, m01, m10, m11} {}
  std::string name() const override { return "pair_mix"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0].rows % 2 != 0) shape_error(name(), in, "rows must come in pairs (an even count)");
    return in[0];
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& x = in[0]->matrix();
    for (Eigen::Index r = 0; r < x.rows(); r += 2) {
      out.matrix().row(r) = m_[0] * x.row(r) + m_[1] * x.row(r + 1);
      out.matrix().row(r + 1) = m_[2] * x.row(r) + m_[3] * x.row(r + 1);
    }
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {pair_mix(g, m_[0], m_[2], m_[1], m_[3])};
  }

 private:
  static OpTraits traits(double m00, double m01, double m10, double m11) {
    OpTraits t = detail::traits(RowLocality::kNone, CostTerms::kSumOfOperands);
    t.label = "pair_mix " + std::to_string(m00) + " " + std::to_string(m01) + " " +
              std::to_string(m10) + " " + std::to_string(m11);
    return t;
  }
  double m_[4];
};
}  // namespace

Var pair_mix(const Var& x, double m00, double m01, double m10, double m11) {
  return detail::make<PairMixOp>({x}, m00, m01, m10, m11);
}
}  // namespace scg
