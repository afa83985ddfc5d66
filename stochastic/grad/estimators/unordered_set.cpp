// Estimator::kUnorderedSet (Kool, van Hoof and Welling 2020) for a categorical node with
// GradOptions::set_size = k: per row, k distinct states S drawn without replacement (Gumbel-top-k
// from the session's stream), the row's cost f evaluated at each (the part of the graph between
// the node and the cost cloned once per position, as kEnumerate clones it per state), and the
// unordered-set estimator with its built-in baseline,
//   sum_{s in S} p(s) R(S, s) (f(s) - sum_{s' in S} p(s') R^{D\s}(S, s') f(s')) d log p(s),
// R(S, s) = P^{D\s}(S \ s) / P(S), R^{D\s}(S, s') = P^{D\{s,s'}}(S \ {s, s'}) / P^{D\s}(S \ s)
// (1 for s' = s), P^{D'}(T) the probability that sampling without replacement from the
// distribution renormalized on D' draws the set T first. The node's own score term is
// cancelled (its own sample still gives the pathwise part, as with kEnumerate). Unbiased for
// the gradient of E[cost]; first order.
//
// P^{D \ removed}(T): for |T| <= 5 the sum over the |T|! orders of prod_i p_(i) / (1 - m -
// sum_{j < i} p_(j)) (m the removed mass); above, the integral form int_0^1 prod_{t in T}
// (1 - u^(p_t / r)) du (r = 1 - m - sum_T p, the mass left) summed exactly by inclusion-
// exclusion, sum over subsets A of T of (-1)^|A| / (1 + sum_{t in A} p_t / r): 2^|T| terms
// instead of |T|!, cancellation about 2^|T| ulp (set_size is at most 16 for that reason).
#include <algorithm>
#include <boost/random/uniform_01.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <span>

#include "scg/core/error.hpp"
#include "scg/ops/detail/helpers.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/grad/detail/estimator_rule.hpp"

namespace scg::detail {

/// P^{D \ removed}(T) for the probabilities p of T's states (reordered in place) and the
/// removed mass m (see above). Allocates nothing.
double unordered_set_probability(std::span<double> p, double m) {
  const std::size_t n = p.size();
  if (n == 0) return 1.0;
  const double rest = 1.0 - m - std::accumulate(p.begin(), p.end(), 0.0);
  if (!(rest > 1e-15)) return 1.0;  // T holds every state left
  if (n <= 5) {
    std::sort(p.begin(), p.end());
    double total = 0;
    do {
      double prod = 1, left = 1.0 - m;
      for (double q : p) prod *= q / left, left -= q;
      total += prod;
    } while (std::next_permutation(p.begin(), p.end()));
    return total;
  }
  double total = 0;
  for (std::size_t subset = 0; subset < (std::size_t{1} << n); ++subset) {
    double a = 0;
    int bits = 0;
    for (std::size_t t = 0; t < n; ++t)
      if (subset >> t & 1) a += p[t] / rest, ++bits;
    total += (bits % 2 ? -1.0 : 1.0) / (1.0 + a);
  }
  return total;
}

namespace {

// k distinct states per row by Gumbel-top-k on the logits (R x n): R x k state indices, in
// the order of their perturbed logits. A draw per run.
class GumbelTopKOp final : public Op {
 public:
  explicit GumbelTopKOp(Eigen::Index k) : Op(random_traits()), k_(k) {}
  std::string name() const override { return "gumbel_top_k"; }
  Shape infer(std::span<const Shape> in) const override { return {in[0].rows, k_}; }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    const Tensor& l = *in[0];
    thread_local std::vector<std::pair<double, Eigen::Index>> keys;
    boost::random::uniform_01<double> u01;
    for (Eigen::Index r = 0; r < l.rows(); ++r) {
      keys.clear();
      for (Eigen::Index j = 0; j < l.cols(); ++j) {
        double u = u01(*ctx.engine);
        while (u <= 0.0) u = u01(*ctx.engine);
        keys.emplace_back(l(r, j) - std::log(-std::log(u)), j);
      }
      std::partial_sort(keys.begin(), keys.begin() + k_, keys.end(),
                        [](const auto& a, const auto& b) { return a.first > b.first; });
      for (Eigen::Index i = 0; i < k_; ++i) out(r, i) = static_cast<double>(keys[i].second);
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var&,
                            std::span<const char>) const override {
    return std::vector<Var>(in.size());
  }

 private:
  static OpTraits random_traits() {
    OpTraits t = detail::traits(RowLocality::kAll);
    t.random = true;
    return t;
  }
  Eigen::Index k_;
};

// The estimator's weights, per row r and position i: p(s_i) R(S, s_i) (f_i - B_i) with B_i the
// built-in baseline; operands the logits (R x n), the states (R x k) and the costs f (R x k).
// Held constant (no derivative): the estimate is first order.
class UnorderedSetWeightsOp final : public Op {
 public:
  UnorderedSetWeightsOp() : Op(detail::traits(RowLocality::kAll)) {}
  std::string name() const override { return "unordered_set_weights"; }
  Shape infer(std::span<const Shape> in) const override { return in[1]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor &l = *in[0], &states = *in[1], &f = *in[2];
    const Eigen::Index k = states.cols();
    thread_local std::vector<double> p, rest;  // grow to the set size once
    p.resize(static_cast<std::size_t>(k));
    rest.reserve(static_cast<std::size_t>(k));
    for (Eigen::Index r = 0; r < l.rows(); ++r) {
      const double m = l.matrix().row(r).maxCoeff();
      const double z = (l.array().row(r) - m).exp().sum();
      for (Eigen::Index i = 0; i < k; ++i)
        p[static_cast<std::size_t>(i)] =
            std::exp(l(r, static_cast<Eigen::Index>(states(r, i))) - m) / z;
      auto without = [&](Eigen::Index a, Eigen::Index b) {
        rest.clear();
        for (Eigen::Index i = 0; i < k; ++i)
          if (i != a && i != b) rest.push_back(p[static_cast<std::size_t>(i)]);
        return std::span<double>(rest);
      };
      const double p_set = unordered_set_probability(without(-1, -1), 0.0);
      for (Eigen::Index i = 0; i < k; ++i) {
        const double pi = p[static_cast<std::size_t>(i)];
        const double p_without = unordered_set_probability(without(i, i), pi);
        double baseline = pi * f(r, i);  // s' = s: R^{D\s}(S, s) = 1
        for (Eigen::Index j = 0; j < k; ++j) {
          if (j == i) continue;
          const double pj = p[static_cast<std::size_t>(j)];
          baseline += pj * unordered_set_probability(without(i, j), pi + pj) / p_without * f(r, j);
        }
        out(r, i) = pi * p_without / p_set * (f(r, i) - baseline);
      }
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var&,
                            std::span<const char>) const override {
    return std::vector<Var>(in.size());
  }
};

Var unordered_set_terms(EstimatorContext& ctx, std::size_t s) {
  const std::string who = to_string(Estimator::kUnorderedSet);
  Graph& g = ctx.g;
  const Shape shape = g.shape(s);
  const std::size_t k = ctx.options.set_size;
  if (k < 2 || k > static_cast<std::size_t>(shape.cols) || k > 16)
    throw Error("grad: " + who + " for " + g.describe(s) + ": GradOptions::set_size is " +
                std::to_string(k) + "; it must be at least 2 and at most the node's " +
                std::to_string(shape.cols) + " states (and 16)");
  if (shape.rows > 1) ctx.require_row_local(s, who);
  require_no_downstream_choice(g, ctx.deps, s, who);
  const Var c = ctx.score_coefficient(s);
  const Var logits = broadcast_to(g.var(g.inputs(s)[0]), shape);
  const Var states = make<GumbelTopKOp>({logits}, static_cast<Eigen::Index>(k));
  std::vector<Var> f, logp;
  for (std::size_t i = 0; i < k; ++i) {
    const Var state = one_hot(slice_cols(states, static_cast<Eigen::Index>(i), 1), shape.cols);
    f.push_back(clone_with(g, c, s, state, who));
    logp.push_back(log_prob_at(g, s, state));
  }
  const Var w = make<UnorderedSetWeightsOp>({logits, states, concat(f, 1)});
  Var out = score_cancelling(ctx.builder.rho(s), c);
  for (std::size_t i = 0; i < k; ++i)
    out = out + first_order_weighted(slice_cols(w, static_cast<Eigen::Index>(i), 1), logp[i], who);
  return out;
}

}  // namespace

const EstimatorRule& unordered_set_rule() {
  static const EstimatorRule rule{Estimator::kUnorderedSet, "kUnorderedSet",
                                  [](const DistributionTraits& d) {
                                    return d.layout == StateLayout::kRows && d.logits
                                               ? std::string()
                                               : std::string(
                                                     "it is not a categorical node (the "
                                                     "unordered-set estimator draws states of a "
                                                     "row without replacement from its logits)");
                                  },
                                  1, unordered_set_terms};
  return rule;
}

}  // namespace scg::detail
