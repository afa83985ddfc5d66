// Black-box costs and fed (observed, replayed) stochastic nodes: the seed's NOT gate with its
// cost computed in C++ outside the graph and brought back through black_box in a second run
// that feeds the sampled choices; reward-to-go weighting from per-step declarations; errors.
#include <array>
#include <cmath>

#include "../mc.hpp"
#include "../not_gate_exact.hpp"

namespace {

using namespace not_gate_exact;  // kW0, kB0, kW1, kB1, sig

// The NOT gate as a 2-row batch; the cost of row x, (1 - x - b_x s_x)^2, is computed outside.
struct BlackBoxGate {
  scg::Graph g;
  scg::Var w0 = g.parameter("w0", kW0), b0 = g.parameter("b0", kB0);
  scg::Var w1 = g.parameter("w1", kW1), b1 = g.parameter("b1", kB1);
  scg::Var x = g.constant(scg::Tensor::from_rows({{0}, {1}}));
  scg::Var b = scg::bernoulli(w0 * x + b0);
  scg::Var s = scg::sigmoid(w1 * x + b1);
  scg::Var c_in = g.input("costs", 2, 1);
  scg::Tensor b_val{scg::Shape{2, 1}}, c_val{scg::Shape{2, 1}};

  // Run 1: sample the choices and read what the environment needs; compute the costs in C++.
  void act(scg::Session& session) {
    const auto& out = session.run({b, s});
    b_val = out[0];
    for (int r = 0; r < 2; ++r) {
      const double t = 1.0 - r, y = b_val(r, 0) * out[1](r, 0);
      c_val(r, 0) = (t - y) * (t - y);
    }
  }
  std::vector<scg::Feed> feeds() const { return {{b, b_val}, {c_in, c_val}}; }
};

// "l3" (GCC 12 warns falsely, -Wrestrict, on "l" + std::to_string(t)).
std::string indexed(const char* prefix, int t) {
  std::string s = std::to_string(t);
  return s.insert(0, prefix);
}

// Mean and variance of a two-run estimator over n rounds (act, then replay).
scg_test::Moments replay_moments(BlackBoxGate& n, const std::vector<scg::Var>& est, int rounds) {
  scg::Session s(n.g, 7);
  std::array<double, 2> m{}, m2{};
  for (int k = 0; k < rounds; ++k) {
    n.act(s);
    const auto& v = s.run(est, n.feeds());
    for (int i = 0; i < 2; ++i) m[i] += v[i].item(), m2[i] += v[i].item() * v[i].item();
  }
  scg_test::Moments r;
  for (int i = 0; i < 2; ++i) {
    const double mean = m[i] / rounds, var = (m2[i] / rounds - mean * mean) * rounds / (rounds - 1.0);
    r.mean.push_back(mean);
    r.var.push_back(var);
    r.se.push_back(std::sqrt(var / rounds));
  }
  return r;
}

}  // namespace

TEST_CASE("black_box NOT gate: costs computed outside the graph give the causal estimator, unbiased") {
  // The closed form written in not_gate_exact.hpp and the enumeration here agree on the mean.
  // Exact moments of the causal (per-row weighted) estimator, by enumeration in
  // not_gate_exact.hpp; its mean agrees with the closed-form gradient.
  const not_gate_exact::EstimatorMoments exact = not_gate_exact::estimator_moments();
  const auto cf = not_gate_exact::grad();
  CHECK(exact.mean[0] == doctest::Approx(cf[0]).epsilon(1e-12));
  CHECK(exact.mean[1] == doctest::Approx(cf[1]).epsilon(1e-12));

  BlackBoxGate n;
  const auto est = scg::grad(scg::sum(scg::black_box(n.c_in, {n.b})), {n.w0, n.b0});
  const int rounds = 40000;
  const auto mc = replay_moments(n, est, rounds);
  // 5 standard errors (a false alarm has probability ~6e-7 per element).
  scg_test::check_within(mc, {cf[0], cf[1]}, 5.0);
  // Variance: the per-row (causal) weighting's exact value, not the whole cost's. A variance
  // estimate from n samples has relative standard error about sqrt((kurtosis - 1) / n) < 2%.
  for (int i = 0; i < 2; ++i) {
    INFO("parameter " << i << ": variance " << mc.var[i] << ", causal " << exact.variance(i) << ", whole-cost "
                      << exact.variance_whole(i));
    CHECK(mc.var[i] == doctest::Approx(exact.variance(i)).epsilon(0.06));
    CHECK(exact.variance(i) < 0.8 * exact.variance_whole(i));
  }
}

TEST_CASE("black_box NOT gate: a 1x1 value listing a 2-row choice weights every row by the whole cost") {
  const not_gate_exact::EstimatorMoments exact = not_gate_exact::estimator_moments();
  BlackBoxGate n;
  const scg::Var total = n.g.input("total", 1, 1);
  const auto est = scg::grad(scg::black_box(total, {n.b}), {n.w0, n.b0});
  scg::Session s(n.g, 11);
  const int rounds = 40000;
  std::array<double, 2> m{}, m2{};
  scg::Tensor t_val{scg::Shape{1, 1}};
  for (int k = 0; k < rounds; ++k) {
    n.act(s);
    t_val(0, 0) = n.c_val(0, 0) + n.c_val(1, 0);
    const auto& v = s.run(est, {{n.b, n.b_val}, {total, t_val}});
    for (int i = 0; i < 2; ++i) m[i] += v[i].item(), m2[i] += v[i].item() * v[i].item();
  }
  for (int i = 0; i < 2; ++i) {
    const double mean = m[i] / rounds, var = m2[i] / rounds - mean * mean;
    CHECK(std::fabs(mean - exact.mean[i]) <= 5.0 * std::sqrt(var / rounds));
    INFO("parameter " << i << ": variance " << var << ", whole-cost " << exact.variance_whole(i));
    CHECK(var == doctest::Approx(exact.variance_whole(i)).epsilon(0.06));
  }
}

TEST_CASE("fed choices: the replayed estimate equals the in-graph one for the same sample") {
  // With the choices fed, a cost built from ops and the same cost brought in as a black box
  // give the same score terms (the black box has no pathwise part: w1 and b1 get none).
  BlackBoxGate n;
  const scg::Var in_graph = scg::sum(scg::square((1.0 - n.x) - n.b * n.s));
  const auto want = scg::grad(in_graph, {n.w0, n.b0, n.w1, n.b1});
  const auto got = scg::grad(scg::sum(scg::black_box(n.c_in, {n.b})), {n.w0, n.b0, n.w1, n.b1});
  scg::Session s(n.g, 5);
  for (int k = 0; k < 8; ++k) {
    n.act(s);
    const auto& v = s.run(got, n.feeds());
    // log_prob sees the fed value: recompute the score terms by hand as a third opinion.
    double sw = 0, sb = 0;
    for (int r = 0; r < 2; ++r) {
      const double p = sig(kW0 * r + kB0), score = n.b_val(r, 0) - p;
      sw += n.c_val(r, 0) * score * r;
      sb += n.c_val(r, 0) * score;
    }
    CHECK(v[0].item() == doctest::Approx(sw).epsilon(1e-12));
    CHECK(v[1].item() == doctest::Approx(sb).epsilon(1e-12));
    CHECK(v[2].item() == 0.0);
    CHECK(v[3].item() == 0.0);
    // The in-graph estimator, run with the same fed choices, has the same score part.
    const auto& wv = s.run(want, {{n.b, n.b_val}});
    CHECK(wv[0].item() == doctest::Approx(sw).epsilon(1e-12));
    CHECK(wv[1].item() == doctest::Approx(sb).epsilon(1e-12));
  }
}

TEST_CASE("fed choices: every reader and log_prob see the fed value; unfed runs sample again") {
  scg::Graph g;
  const scg::Var l = g.parameter("l", scg::Tensor::from_rows({{0.3, -1.0, 2.0}}));
  const scg::Var c = scg::categorical(l);
  const scg::Var lp = scg::log_prob(c);
  const scg::Var twice = 2.0 * c;
  scg::Session s(g, 1);
  const scg::Tensor fed = scg::Tensor::from_rows({{0, 1, 0}});
  const auto& v = s.run({c, lp, twice}, {{c, fed}});
  CHECK(v[0](0, 1) == 1.0);
  CHECK(v[2](0, 1) == 2.0);
  const double lse = std::log(std::exp(0.3) + std::exp(-1.0) + std::exp(2.0));
  CHECK(v[1].item() == doctest::Approx(-1.0 - lse).epsilon(1e-12));
  // Without the feed the node samples: over 200 runs all three states appear.
  std::array<int, 3> seen{};
  for (int k = 0; k < 200; ++k) {
    const auto& u = s.run(c);
    for (int j = 0; j < 3; ++j) seen[j] += u(0, j) == 1.0;
  }
  for (int j = 0; j < 3; ++j) CHECK(seen[j] > 0);
}

TEST_CASE("black_box: per-step rewards declared on a_1..a_t give reward-to-go weighting") {
  // Three steps, one Bernoulli action each from its own logit; reward r_t declared to depend on
  // a_1..a_t. The estimate for logit k must be score(a_k) * (r_k + ... + r_3), by hand below.
  scg::Graph g;
  std::vector<scg::Var> logits, actions, rewards_in, rewards;
  for (int t = 0; t < 3; ++t) {
    logits.push_back(g.parameter(indexed("l", t), 0.2 * t - 0.1));
    actions.push_back(scg::bernoulli(logits.back()));
    rewards_in.push_back(g.input(indexed("r", t), 1, 1));
    rewards.push_back(scg::black_box(rewards_in.back(), actions));  // a_1..a_t so far
  }
  const scg::Var total = rewards[0] + rewards[1] + rewards[2];
  const auto est = scg::grad(total, logits);
  scg::Session s(g, 3);
  const std::array<std::array<double, 3>, 2> trajectories{{{1, 0, 1}, {0, 0, 1}}};
  for (const auto& a : trajectories) {
    std::vector<scg::Tensor> av, rv;
    for (int t = 0; t < 3; ++t) av.emplace_back(scg::Shape{1, 1}, a[t]);
    for (int t = 0; t < 3; ++t) rv.emplace_back(scg::Shape{1, 1}, 1.5 + t);
    std::vector<scg::Feed> feeds;
    for (int t = 0; t < 3; ++t) feeds.emplace_back(actions[t], av[t]), feeds.emplace_back(rewards_in[t], rv[t]);
    const auto& v = s.run(est, feeds);
    for (int k = 0; k < 3; ++k) {
      const double p = sig(0.2 * k - 0.1);
      double to_go = 0;
      for (int t = k; t < 3; ++t) to_go += rv[t].item();
      CHECK(v[k].item() == doctest::Approx((a[k] - p) * to_go).epsilon(1e-12));
    }
  }
}

TEST_CASE("fed stochastic nodes: values outside the support throw scg::Error naming the node") {
  scg::Graph g;
  const scg::Var l = g.parameter("l", scg::Tensor(scg::Shape{2, 3}, 0.1));
  const scg::Var b = scg::bernoulli(l);
  const scg::Var c = scg::categorical(l);
  const scg::Var pois = scg::poisson(scg::exp(l));
  const scg::Var u = scg::uniform(g.constant(0.0), g.constant(1.0));
  const scg::Var total = scg::sum(b) + scg::sum(c) + scg::sum(pois) + u;
  scg::Session s(g, 1);
  auto message = [&](const scg::Var& node, const scg::Tensor& v) -> std::string {
    try {
      s.run(total, {{node, v}});
    } catch (const scg::Error& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string half = message(b, scg::Tensor(scg::Shape{2, 3}, 0.5));
  CHECK(half.find("bernoulli") != std::string::npos);
  CHECK(half.find(b.describe()) != std::string::npos);
  CHECK(half.find("0.5") != std::string::npos);
  const std::string two_hot = message(c, scg::Tensor::from_rows({{1, 0, 0}, {1, 1, 0}}));
  CHECK(two_hot.find("not one-hot") != std::string::npos);
  CHECK(two_hot.find(c.describe()) != std::string::npos);
  CHECK(message(c, scg::Tensor::from_rows({{0, 0, 0}, {0, 0, 1}})).find("not one-hot") != std::string::npos);
  CHECK(message(pois, scg::Tensor(scg::Shape{2, 3}, 1.5)).find(pois.describe()) != std::string::npos);
  CHECK(message(pois, scg::Tensor(scg::Shape{2, 3}, -1.0)).find(pois.describe()) != std::string::npos);
  CHECK(message(u, scg::Tensor(scg::Shape{1, 1}, 1.5)).find(u.describe()) != std::string::npos);
  CHECK(message(b, scg::Tensor(scg::Shape{2, 3}, std::nan(""))).find(b.describe()) != std::string::npos);
  // Wrong shape: a ShapeError naming the node and both shapes.
  const std::string shape = message(b, scg::Tensor(scg::Shape{3, 2}, 1.0));
  CHECK(shape.find("3x2") != std::string::npos);
  CHECK(shape.find("2x3") != std::string::npos);
  // A derived node cannot be fed; nor can one node be fed twice.
  const scg::Tensor ok(scg::Shape{2, 3}, 1.0);
  CHECK_THROWS_WITH_AS(s.run(total, {{l * 2.0, ok}}), doctest::Contains("neither an input nor a stochastic node"),
                       scg::Error);
  CHECK_THROWS_WITH_AS(s.run(total, {{b, ok}, {b, ok}}), doctest::Contains("two feeds"), scg::Error);
  // After the errors the session still runs, sampling again.
  CHECK(std::isfinite(s.run(total).item()));
  // A valid fed value is accepted and used.
  CHECK(s.run(scg::sum(b), {{b, ok}}).item() == 6.0);
}

TEST_CASE("black_box: bad declarations throw; expectation and enumeration refuse it") {
  scg::Graph g, other;
  const scg::Var l = g.parameter("l", 0.2);
  const scg::Var b = scg::bernoulli(l);
  const scg::Var r = g.input("r", 1, 1);
  const scg::Var foreign = scg::bernoulli(other.parameter("m", 0.1));
  CHECK_THROWS_WITH_AS(scg::black_box(r, {foreign}), doctest::Contains("black_box"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::black_box(r, {l * 2.0}), doctest::Contains("not a stochastic node"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::black_box(r, {}), doctest::Contains("no choices"), scg::Error);
  CHECK_THROWS_AS(scg::black_box(scg::Var(), {b}), scg::Error);
  const scg::Var cost = scg::black_box(r, {b});
  CHECK_THROWS_WITH_AS(scg::expectation(cost), doctest::Contains("black_box"), scg::Error);
  scg::GradOptions o;
  o.estimators = {{b, scg::Estimator::kEnumerate}};
  CHECK_THROWS_WITH_AS(scg::grad(cost, {l}, o), doctest::Contains("black_box"), scg::Error);
  // The value's own dependence on choices is not inherited: only the listed ones count.
  const scg::Var b2 = scg::bernoulli(l);
  const scg::Var tricky = scg::black_box(r + b2, {b});
  const auto est = scg::grad(tricky, {l});
  scg::Session s(g, 2);
  const scg::Tensor one(scg::Shape{1, 1}, 1.0), rv(scg::Shape{1, 1}, 3.0);
  const double p = sig(0.2);
  // score(b) * value, with value = r + b2 = 3 + 1.
  CHECK(s.run(est[0], {{b, one}, {b2, one}, {r, rv}}).item() == doctest::Approx((1 - p) * 4.0).epsilon(1e-12));
}
