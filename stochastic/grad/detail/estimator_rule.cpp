// The shared pieces of estimator rules (see estimator_rule.hpp).
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

#include "scg/core/error.hpp"
#include "scg/core/reverse.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/below.hpp"

namespace scg::detail {
namespace {

// out = x; its derivative throws: the one place a first-order estimate refuses to be
// differentiated again.
class FirstOrderOp final : public Op {
 public:
  explicit FirstOrderOp(std::string who)
      : Op(detail::traits(RowLocality::kAll)), who_(std::move(who)) {}
  std::string name() const override { return "first_order"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.matrix() = in[0]->matrix();
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&,
                            std::span<const char>) const override {
    throw Error("grad: " + who_ +
                " is a first-order estimator: its estimate cannot be differentiated again (a "
                "higher derivative through it would be wrong); use Estimator::kScore there");
  }

 private:
  std::string who_;
};

// out = f .* p; d/dp = g .* first_order(f), nothing to f.
class WeightedOp final : public Op {
 public:
  explicit WeightedOp(std::string who)
      : Op(detail::traits(RowLocality::kAll)), who_(std::move(who)) {}
  std::string name() const override { return "first_order_weighted"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0] != in[1]) shape_error(name(), in, "weights and values must have one shape");
    return in[0];
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array() * in[1]->array();
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char> needed) const override {
    if (!needed[1]) return {Var(), Var()};
    return {Var(), g * make<FirstOrderOp>({in[0]}, who_)};
  }

 private:
  std::string who_;
};

}  // namespace

Var EstimatorContext::score_coefficient(std::size_t s) const {
  return stop_gradient(score_coefficients(surrogate, {builder.rho(s)})[0]);
}

void EstimatorContext::require_row_local(std::size_t s, const std::string& who) const {
  if (builder.full_somewhere(s))
    throw Error("grad: " + who + " for " + g.describe(s) +
                ": it reaches the cost through ops that mix rows; it needs each row's cost to "
                "depend on that row's choice only");
  if (builder.grouped_somewhere(s))
    throw Error("grad: " + who + " for " + g.describe(s) +
                ": it reaches the cost through log_mean_exp groups (or a reshape merging rows), "
                "where each sample's bound reads the other samples of its group; it needs each "
                "row's cost to depend on that row's choice only (use the score estimator with "
                "Baseline::kVimco)");
}

Var first_order_weighted(const Var& f, const Var& p, const std::string& who) {
  return sum(make<WeightedOp>({f, p}, who));
}

Var clone_with(Graph& g, const Var& c, std::size_t node, const Var& state, const std::string& who) {
  const std::size_t top = c.id();
  if (top < node) return c;  // c does not depend on the node
  const std::vector<char> below = sweep_below(
      g, g.ancestors(std::vector<std::size_t>{top}), node, top, [&](std::size_t id, bool reads) {
        if (id == node) return true;
        if (reads && is_black_box(g.op(id)))
          throw Error("grad: " + who + " for " + g.describe(node) +
                      ": the cost reaches it through " + g.describe(id) +
                      ", a black_box, which cannot be evaluated at the node's other states");
        return reads;
      });
  if (!below[top]) return c;
  return clone_below(g, below, node, top, [&](std::size_t id, const std::vector<Var>&) {
    return id == node ? state : Var();
  });
}

void require_no_downstream_choice(Graph& g, const Dependencies& deps, std::size_t node,
                                  const std::string& who) {
  sweep_below(g, deps.ancestors(), node, deps.top(), [&](std::size_t id, bool reads) {
    if (id == node) return true;
    if (reads && deps.is_choice(id))
      throw Error("grad: " + who + " for " + g.describe(node) + ": the choice " + g.describe(id) +
                  " depends on it, so its states cannot be enumerated with the others held fixed");
    return reads;
  });
}

Var log_prob_at(Graph& g, std::size_t s, const Var& state) {
  std::vector<Var> params;
  for (std::size_t in : g.inputs(s)) params.push_back(g.var(in));
  return static_cast<const Distribution*>(g.op(s))->log_prob(params, state);
}

const EstimatorRule& estimator_rule(Estimator e) {
  for (const EstimatorRule* r : estimator_rules())
    if (r->estimator == e) return *r;
  throw Error("grad: " + to_string(e) + " has no rule (stochastic/grad/estimators/rules.cpp)");
}

}  // namespace scg::detail
