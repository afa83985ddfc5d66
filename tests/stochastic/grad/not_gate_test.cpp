// The seed's Bernoulli NOT gate: sampled gradient estimates against the closed form
// (written out by hand in not_gate_exact.hpp, independently of scg), both as one scalar subgraph per input
// and as a 2-row batch; exact variance of the single-sample estimator.
#include <array>

#include "../mc.hpp"
#include "../not_gate_exact.hpp"

namespace {

using namespace not_gate_exact;  // kW0, kB0, kW1, kB1, sig
std::vector<double> closed_form_grad() { return not_gate_exact::grad(); }
double closed_form_cost() { return not_gate_exact::cost(); }

struct NotGate {
  scg::Graph g;
  scg::Var w0 = g.parameter("w0", kW0), b0 = g.parameter("b0", kB0);
  scg::Var w1 = g.parameter("w1", kW1), b1 = g.parameter("b1", kB1);
  scg::Var cost;
  std::vector<scg::Var> params() const { return {w0, b0, w1, b1}; }

  // One scalar subgraph per input: cost = C_0 + C_1.
  void build_scalar() {
    scg::Var total;
    for (int x = 0; x < 2; ++x) {
      const scg::Var b = scg::bernoulli(w0 * double(x) + b0);
      const scg::Var y = b * scg::sigmoid(w1 * double(x) + b1);
      const scg::Var c = scg::square(double(1 - x) - y);
      total = total.empty() ? c : total + c;
    }
    cost = total;
  }
  // A 2-row batch: row x holds input x.
  void build_batch() {
    const scg::Var x = g.constant(scg::Tensor::from_rows({{0}, {1}}));
    const scg::Var b = scg::bernoulli(w0 * x + b0);
    const scg::Var y = b * scg::sigmoid(w1 * x + b1);
    cost = scg::sum(scg::square((1.0 - x) - y));
  }
};

void check_estimator(NotGate& n) {
  const auto est = scg::grad(n.cost, n.params());
  const auto exact_grad = scg::grad(scg::expectation(n.cost), n.params());
  scg::Session s(n.g, 42);
  // expectation agrees with the hand-written closed form.
  CHECK(s.run(scg::expectation(n.cost)).item() == doctest::Approx(closed_form_cost()).epsilon(1e-12));
  const auto cf = closed_form_grad();
  const auto eg = scg_test::values(s, exact_grad);
  for (int i = 0; i < 4; ++i) CHECK(eg[i] == doctest::Approx(cf[i]).epsilon(1e-12));
  // Exact unbiasedness: the mean of the estimator over the 4 joint outcomes, by enumeration.
  for (int i = 0; i < 4; ++i)
    CHECK(s.run(scg::expectation(est[i])).item() == doctest::Approx(cf[i]).epsilon(1e-12));
  // Monte-Carlo, 4 standard errors (a false alarm per element has probability ~6e-5).
  scg_test::check_within(scg_test::sample_moments(s, est, 40000), cf, 4.0);
}

}  // namespace

TEST_CASE("NOT gate, one scalar subgraph per input: estimator is unbiased") {
  NotGate n;
  n.build_scalar();
  check_estimator(n);
}

TEST_CASE("NOT gate as a 2-row batch: estimator is unbiased") {
  NotGate n;
  n.build_batch();
  check_estimator(n);
}

TEST_CASE("NOT gate: variance of the single-sample estimator is that of per-input weighting") {
  // Closed form over the four joint outcomes (B0, B1) (not_gate_exact.hpp): each B_x weighted
  // only by its own C_x (causal), and, for contrast, every B weighted by the whole cost.
  const not_gate_exact::EstimatorMoments em = not_gate_exact::estimator_moments();
  for (bool batch : {false, true}) {
    NotGate n;
    batch ? n.build_batch() : n.build_scalar();
    const auto est = scg::grad(n.cost, n.params());
    scg::Session s(n.g, 3);
    for (int i = 0; i < 4; ++i) {
      // Exact variance of scg's estimator: E[g^2] - E[g]^2, both by enumeration.
      const double m = s.run(scg::expectation(est[i])).item();
      const double var = s.run(scg::expectation(est[i] * est[i])).item() - m * m;
      const double want = em.variance(i), full = em.variance_whole(i);
      INFO((batch ? "batch" : "scalar") << " parameter " << i << ": variance " << var
                                        << ", per-input weighting " << want << ", whole-cost weighting " << full);
      CHECK(var == doctest::Approx(want).epsilon(1e-10));
      if (i < 2) CHECK(var < full);  // the causal weighting strictly helps for w0 and b0
    }
    // Monte-Carlo variance agrees too (relative SE of a variance estimate ~ sqrt(2/n) here).
    const auto mc = scg_test::sample_moments(s, est, 40000);
    for (int i = 0; i < 4; ++i)
      CHECK(mc.var[i] == doctest::Approx(em.variance(i)).epsilon(0.05));
  }
}
