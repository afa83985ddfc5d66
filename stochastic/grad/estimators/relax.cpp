// Estimator::kRelax (Grathwohl et al. 2018) for a node with logits whose elements (logistic
// relaxation) or rows (Gumbel relaxation) are independent: with the control variate c of
// GradOptions::control_variates, the terms sum((1 - box(rho)) c(z~)) + sum(c(z)) - sum(c(z~)),
// whose gradient is -c(z~) d log p(b) + d c(z) - d c(z~) (the score term c_s d rho stays).
// First order (the conditional sample's slope refuses a second derivative).
#include <boost/random/uniform_01.hpp>
#include <cmath>

#include "scg/core/error.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {
namespace {

// RELAX's relaxed samples z of a choice b, drawn given b, for two families:
//   logistic (bernoulli): zeta = l + log u - log(1 - u), b = [zeta > 0], u uniform on the side
//     of sigma(-l) that b says;
//   Gumbel (categorical, rows x k): z = log theta + G (theta = softmax(l), G Gumbel noise),
//     b = onehot(argmax z); given b (Tucker et al. 2017, appendix), with v uniform and
//     a = -log v: z_b = -log a_b, z_i = -log(a_i / theta_i + a_b) for i != b.
// Operands (l, b). The gradient holds the noise behind an unconditional sample fixed
// (conditional = false: d zeta = d l; d z = d log theta), or the uniforms behind the
// conditional sample (conditional = true: the slope below, per element).
enum class Relaxation { kLogistic, kGumbel };

// The conditional sample's slope with its uniforms held fixed. Operands (z, l, b).
//   logistic: d zeta / d l = 1 - b sigma(-l) / u - (1 - b) sigma(l) / (1 - u), u = sigma(zeta - l);
//   Gumbel:   d z_i / d theta_i = (1 - e^(z_i - z_b)) / theta_i off b, 0 on b.
// First order only (RELAX is a first-order estimator).
class RelaxedSlopeOp final : public Op {
 public:
  explicit RelaxedSlopeOp(Relaxation r) : Op(detail::traits(RowLocality::kAll)), r_(r) {}
  std::string name() const override {
    return r_ == Relaxation::kLogistic ? "relaxed_given_slope" : "gumbel_given_slope";
  }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor &z = *in[0], &l = *in[1], &b = *in[2];
    if (r_ == Relaxation::kLogistic) {
      for (Eigen::Index c = 0; c < out.cols(); ++c)
        for (Eigen::Index r = 0; r < out.rows(); ++r) {
          const double u = 1.0 / (1.0 + std::exp(l(r, c) - z(r, c)));
          out(r, c) = b(r, c) == 1.0 ? 1.0 - 1.0 / (1.0 + std::exp(l(r, c))) / u
                                     : 1.0 - 1.0 / (1.0 + std::exp(-l(r, c))) / (1.0 - u);
        }
      return;
    }
    for (Eigen::Index r = 0; r < out.rows(); ++r) {
      const Eigen::Index pick = picked(b, r);
      const double lse = logsumexp_row(l, r);
      for (Eigen::Index c = 0; c < out.cols(); ++c)
        out(r, c) = c == pick ? 0.0 : -std::expm1(z(r, c) - z(r, pick)) * std::exp(lse - l(r, c));
    }
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&,
                            std::span<const char>) const override {
    throw Error("RELAX is a first-order estimator: its estimate cannot be differentiated again");
  }
  static Eigen::Index picked(const Tensor& b, Eigen::Index r) {
    Eigen::Index pick = 0;
    for (Eigen::Index c = 0; c < b.cols(); ++c)
      if (b(r, c) == 1.0) pick = c;
    return pick;
  }
  static double logsumexp_row(const Tensor& l, Eigen::Index r) {
    const double mx = l.matrix().row(r).maxCoeff();
    return mx + std::log((l.matrix().row(r).array() - mx).exp().sum());
  }

 private:
  Relaxation r_;
};

class RelaxedGivenOp final : public Op {
  static OpTraits noise_traits() {
    OpTraits t = detail::traits(RowLocality::kAll);
    t.random = true;  // draws its noise each run
    return t;
  }

 public:
  RelaxedGivenOp(Relaxation r, bool conditional)
      : Op(noise_traits()), r_(r), conditional_(conditional) {}
  std::string name() const override {
    return std::string(r_ == Relaxation::kLogistic ? "relaxed_given" : "gumbel_given") +
           (conditional_ ? "_conditional" : "");
  }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0] != in[1]) shape_error(name(), in, "logits and choice must have one shape");
    return in[0];
  }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    const Tensor &l = *in[0], &b = *in[1];
    boost::random::uniform_01<double> u01;
    if (r_ == Relaxation::kLogistic) {
      for (Eigen::Index c = 0; c < out.cols(); ++c)
        for (Eigen::Index r = 0; r < out.rows(); ++r) {
          const double p0 = 1.0 / (1.0 + std::exp(l(r, c))),
                       v = u01(*ctx.engine);  // p0 = sigma(-l)
          double u = b(r, c) == 1.0 ? p0 + v * (1.0 - p0) : v * p0;
          u = std::min(std::max(u, 1e-300), 1.0 - 1e-16);
          out(r, c) = l(r, c) + std::log(u) - std::log1p(-u);
        }
      return;
    }
    for (Eigen::Index r = 0; r < out.rows(); ++r) {
      const double lse = RelaxedSlopeOp::logsumexp_row(l, r);
      const Eigen::Index pick = RelaxedSlopeOp::picked(b, r);
      // a_i = -log v_i > 0 (v in (0, 1)).
      for (Eigen::Index c = 0; c < out.cols(); ++c)
        out(r, c) = -std::log(std::max(u01(*ctx.engine), 1e-300));
      const double ab = out(r, pick);
      for (Eigen::Index c = 0; c < out.cols(); ++c)
        out(r, c) = c == pick ? -std::log(ab) : -std::log(out(r, c) * std::exp(lse - l(r, c)) + ab);
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                            std::span<const char> needed) const override {
    if (!needed[0]) return {Var(), Var()};
    if (r_ == Relaxation::kLogistic) {
      if (!conditional_) return {g, Var()};
      return {g * make<RelaxedSlopeOp>({out, in[0], in[1]}, r_), Var()};
    }
    const Var theta = softmax(in[0]);
    if (!conditional_) return {g - theta * sum(g, 1), Var()};  // through log softmax(l)
    const Var gt = g * make<RelaxedSlopeOp>({out, in[0], in[1]}, r_);
    return {theta * (gt - sum(theta * gt, 1)), Var()};  // through softmax(l)
  }

 private:
  Relaxation r_;
  bool conditional_;
};

const ControlVariate& control_variate(const EstimatorContext& ctx, std::size_t s) {
  for (const ControlVariate& c : ctx.options.control_variates)
    if (c.node.id() == s) return c;
  throw Error("grad: Estimator::kRelax for " + ctx.g.describe(s) +
              " needs a GradOptions::control_variates entry");
}

Var relax_terms(EstimatorContext& ctx, std::size_t s) {
  Graph& g = ctx.g;
  const ControlVariate& cv = control_variate(ctx, s);
  const auto& d = *static_cast<const Distribution*>(g.op(s));
  const Var rho = ctx.builder.rho(s);
  const Var b = g.var(s), l = g.var(g.inputs(s)[0]);
  const double t = cv.temperature;
  const Relaxation r = d.distribution_traits().layout == StateLayout::kRows ? Relaxation::kGumbel
                                                                            : Relaxation::kLogistic;
  auto relaxed = [&](bool conditional) {
    const Var y = make<RelaxedGivenOp>({l, b}, r, conditional) / t;
    return r == Relaxation::kGumbel ? softmax(y) : sigmoid(y);
  };
  const Var z = relaxed(false), zt = relaxed(true);
  const Var cz = cv.build(z), czt = cv.build(zt);
  for (const Var* c : {&cz, &czt})
    if (c->empty() || !(c->shape().scalar() || c->shape() == rho.shape()))
      throw ShapeError(
          "grad: the control variate for " + g.describe(s) + " must be 1x1 or " +
          rho.shape().str() +
          (c->empty() ? " (the builder returned an empty Var)" : ", not " + c->shape().str()));
  return score_cancelling(rho, czt) + sum(cz) - sum(czt);
}

}  // namespace

const EstimatorRule& relax_rule() {
  static const EstimatorRule rule{
      Estimator::kRelax, "kRelax",
      [](const DistributionTraits& d) {
        if (d.path != GradientPath::kScore || d.support != Support::kFinite)
          return std::string("discrete nodes only");
        if (!d.logits || d.antithetic_pairs || d.layout == StateLayout::kJoint)
          return std::string(
              "discrete nodes only with logits and independent elements or rows (bernoulli and "
              "categorical nodes only)");
        return std::string();
      },
      1, relax_terms};
  return rule;
}

}  // namespace scg::detail
