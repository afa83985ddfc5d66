// Per-node estimators other than the score function (see estimators.hpp).
#include "scg/stochastic/grad/detail/estimators.hpp"

#include <algorithm>
#include <boost/random/uniform_01.hpp>
#include <cmath>

#include "scg/core/error.hpp"
#include "scg/core/reverse.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg::detail {
namespace {

/// c with its choice node replaced by `state`: the part of the graph between the node and c
/// is cloned (expectation's technique), everything else is shared.
Var clone_with(Graph& g, const Var& c, std::size_t node, const Var& state) {
  const std::size_t top = c.id();
  if (top < node) return c;  // c does not depend on the node
  const std::vector<char> anc = g.ancestors(std::vector<std::size_t>{top});
  std::vector<char> affected(top + 1, 0);
  std::vector<Var> clone(top + 1);
  std::vector<Var> in;
  for (std::size_t id = node; id <= top; ++id) {
    if (!anc[id]) continue;
    if (id == node) {
      affected[id] = 1;
      clone[id] = state;
      continue;
    }
    for (std::size_t i : g.inputs(id)) affected[id] |= affected[i];
    if (!affected[id]) continue;
    if (is_black_box(g.op(id)))
      throw Error("grad: Estimator::kEnumerate for " + g.describe(node) +
                  ": the cost reaches it through " + g.describe(id) +
                  ", a black_box, which cannot be evaluated at the node's other states");
    if (is_frozen_box(g, id)) {  // value 1 whatever the state
      clone[id] = g.constant(Tensor(g.shape(id), 1.0));
      continue;
    }
    in.clear();
    for (std::size_t i : g.inputs(id)) in.push_back(affected[i] ? clone[i] : g.var(i));
    clone[id] = g.apply(g.shared_op(id), in);
  }
  return affected[top] ? clone[top] : c;
}

/// Throws unless no other choice lies between `node` and the cost (enumerating the node's
/// states would change their distributions).
void require_no_downstream_choice(Graph& g, const Dependencies& deps, std::size_t node,
                                  const std::string& who) {
  std::vector<char> below(deps.top() + 1, 0);
  below[node] = 1;
  for (std::size_t id = node + 1; id <= deps.top(); ++id) {
    if (!deps.ancestor(id)) continue;
    for (std::size_t i : g.inputs(id)) below[id] |= below[i];
    if (below[id] && deps.is_choice(id))
      throw Error("grad: " + who + " for " + g.describe(node) + ": the choice " + g.describe(id) +
                  " depends on it, so its states cannot be enumerated with the others held fixed");
  }
}

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

/// RELAX's terms for bernoulli or categorical node s: sum((1 - box(rho)) c(z~)) + sum(c(z)) -
/// sum(c(z~)), whose gradient is -c(z~) d log p(b) + d c(z) - d c(z~) (the score term c_s d rho
/// stays).
Var relax_terms(Graph& g, std::size_t s, const Var& rho, const GradOptions& options) {
  const ControlVariate* cv = nullptr;
  for (const ControlVariate& c : options.control_variates)
    if (c.node.id() == s) cv = &c;
  if (!cv)
    throw Error("grad: Estimator::kRelax for " + g.describe(s) +
                " needs a GradOptions::control_variates entry");
  const std::string kind = g.op(s)->name();
  if (kind != "bernoulli" && kind != "categorical")
    throw Error("grad: Estimator::kRelax for " + g.describe(s) +
                ": bernoulli and categorical nodes only");
  const Var b = g.var(s), l = g.var(g.inputs(s)[0]);
  const double t = cv->temperature;
  const Relaxation r = kind == "categorical" ? Relaxation::kGumbel : Relaxation::kLogistic;
  auto relaxed = [&](bool conditional) {
    const Var y = make<RelaxedGivenOp>({l, b}, r, conditional) / t;
    return r == Relaxation::kGumbel ? softmax(y) : sigmoid(y);
  };
  const Var z = relaxed(false), zt = relaxed(true);
  const Var cz = cv->build(z), czt = cv->build(zt);
  for (const Var* c : {&cz, &czt})
    if (c->empty() || !(c->shape().scalar() || c->shape() == rho.shape()))
      throw ShapeError(
          "grad: the control variate for " + g.describe(s) + " must be 1x1 or " +
          rho.shape().str() +
          (c->empty() ? " (the builder returned an empty Var)" : ", not " + c->shape().str()));
  return sum((1.0 - magic_box(rho)) * czt) + sum(cz) - sum(czt);
}

}  // namespace

Var estimator_terms(Graph& g, const Var& surrogate, const Dependencies& deps, Surrogate& builder,
                    const GradOptions& options, std::vector<std::size_t>& handled) {
  std::vector<std::pair<std::size_t, Estimator>> chosen;
  for (const auto& [node, est] : options.estimators)
    if (est == Estimator::kDisarm || est == Estimator::kEnumerate || est == Estimator::kRelax)
      chosen.emplace_back(node.id(), est);
  if (chosen.empty()) return {};
  Var extra;
  auto add_term = [&](const Var& x) { extra = extra.empty() ? x : extra + x; };
  for (const auto& [s, est] : chosen) {
    const std::string who = est == Estimator::kDisarm      ? "Estimator::kDisarm"
                            : est == Estimator::kEnumerate ? "Estimator::kEnumerate"
                                                           : "Estimator::kRelax";
    if (!deps.is_choice(s)) continue;  // the cost does not depend on it: nothing to estimate
    if (est == Estimator::kRelax) {
      handled.push_back(s);
      add_term(relax_terms(g, s, builder.rho(s), options));
      continue;
    }
    if (builder.full_somewhere(s))
      throw Error("grad: " + who + " for " + g.describe(s) +
                  ": it reaches the cost through ops that mix rows; "
                  "it needs each row's cost to depend on that row's choice only");
    handled.push_back(s);
    const Var node = g.var(s), logits = g.var(g.inputs(s)[0]);
    const Var rho = builder.rho(s);
    // c: per row, the cost that multiplies this choice's score (d surrogate / d rho).
    const Var c = stop_gradient(reverse_mode(surrogate, g.constant(1.0), {rho},
                                             [](const Var& a, const Var& b) { return a + b; })[0]);
    // The score term c d rho is cancelled exactly (a baseline equal to c) ...
    add_term(sum((1.0 - magic_box(rho)) * c));
    // ... and replaced.
    const std::string kind = g.op(s)->name();
    if (est == Estimator::kDisarm) {
      if (kind != "bernoulli_pairs")
        throw Error("grad: Estimator::kDisarm for " + g.describe(s) +
                    ", which is not a bernoulli_pairs node");
      // Per pair (a, b) = (2i, 2i+1) and element j, d E[c_a + c_b] / d l_j is estimated by
      // (c_a - c_b) (-1)^(z_b,j) [z_a,j != z_b,j] sigmoid(|l_j|), half on each row's logit.
      const Var za = pair_mix(node, 1, 0, 1, 0), zb = pair_mix(node, 0, 1, 0, 1);
      const Var w = (1.0 - 2.0 * zb) * abs(za - zb) * sigmoid(abs(logits));
      const Var G = stop_gradient(0.5 * pair_mix(c, 1, -1, 1, -1) * w);
      add_term(sum(G * logits));
      continue;
    }
    // Enumeration: sum over the node's states of d p(state) times the row cost at that state.
    require_no_downstream_choice(g, deps, s, who);
    const Shape shape = g.shape(s);
    const bool categorical = kind == "categorical";
    if (!categorical && kind != "bernoulli")
      throw Error("grad: Estimator::kEnumerate for " + g.describe(s) +
                  ": bernoulli and categorical nodes only");
    const double evaluations =
        categorical ? static_cast<double>(shape.cols) : 2.0 * static_cast<double>(shape.cols);
    if (evaluations > options.max_enumerated)
      throw Error("grad: Estimator::kEnumerate for " + g.describe(s) + " needs " +
                  std::to_string(static_cast<long>(evaluations)) +
                  " evaluations of the cost per run, above GradOptions::max_enumerated (" +
                  std::to_string(static_cast<long>(options.max_enumerated)) + ")");
    if (categorical) {
      const Var p = softmax(logits);
      for (Eigen::Index k = 0; k < shape.cols; ++k) {
        Tensor state(shape);
        state.matrix().col(k).setOnes();
        const Var f = stop_gradient(clone_with(g, c, s, g.constant(state)));
        add_term(sum(f * slice_cols(p, k, 1)));
      }
      continue;
    }
    const Var p1 = sigmoid(logits), p0 = sigmoid(-logits);
    for (Eigen::Index j = 0; j < shape.cols; ++j) {
      Tensor mask(shape);
      mask.matrix().col(j).setOnes();
      const Var m = g.constant(mask);
      for (int v = 0; v < 2; ++v) {
        const Var state = where(m, g.constant(Tensor(shape, static_cast<double>(v))), node);
        const Var f = stop_gradient(clone_with(g, c, s, state));
        add_term(sum(f * slice_cols(v ? p1 : p0, j, 1)));
      }
    }
  }
  return extra;
}

}  // namespace scg::detail
