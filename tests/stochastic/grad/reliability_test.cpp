// The adversarial cases of issue 14, each with its truth: empty shapes, foreign nodes in
// options, d cost / d cost, invalid options, and the score estimator for a normal node.
#include <cmath>
#include <limits>

#include "../mc.hpp"

namespace {
double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

TEST_CASE("empty shapes are refused where they would be built, naming what") {
  scg::Graph g;
  CHECK_THROWS_WITH_AS(g.parameter("p", scg::Tensor(2, 0)), doctest::Contains("'p'"), scg::ShapeError);
  CHECK_THROWS_WITH_AS(g.parameter("q", scg::Tensor(0, 3)), doctest::Contains("0x3"), scg::ShapeError);
  CHECK_THROWS_AS(g.constant(scg::Tensor(0, 0)), scg::ShapeError);
  CHECK_THROWS_AS(g.input("x", 3, 0), scg::ShapeError);
  CHECK(g.size() == 0);
  // So categorical, softmax and log_softmax never see a row without entries, and expectation
  // never an empty Var.
  auto one = g.parameter("one", scg::Tensor(2, 1));
  scg::Session s(g, 1);
  CHECK(s.run(scg::categorical(one)) == scg::Tensor(2, 1, 1.0));
  CHECK(s.run(scg::softmax(one)) == scg::Tensor(2, 1, 1.0));
  CHECK(s.run(scg::expectation(scg::sum(scg::categorical(one)))).item() == 2.0);
}

TEST_CASE("a learned baseline or estimator naming a node of another graph is refused") {
  scg::Graph g, other;
  auto l = g.parameter("l", scg::Tensor(2, 1));
  auto b = scg::bernoulli(l);
  auto cost = scg::sum(b * l);
  auto foreign = other.parameter("w", scg::Tensor(2, 1));
  scg::GradOptions opt;
  opt.learned = {{b, foreign}};
  CHECK_THROWS_WITH_AS(scg::grad(cost, {l}, opt), doctest::Contains("another graph"), scg::Error);
  // Same id, other graph: refused too (the graph's identity is checked, not the id).
  auto same_id = other.parameter("w2", scg::Tensor(2, 1));
  (void)same_id;
  opt.learned = {{other.var(b.id() < other.size() ? b.id() : 0), g.parameter("base", 0.0)}};
  CHECK_THROWS_WITH_AS(scg::grad(cost, {l}, opt), doctest::Contains("another graph"), scg::Error);
  scg::GradOptions est;
  est.estimators = {{foreign, scg::Estimator::kScore}};
  CHECK_THROWS_WITH_AS(scg::grad(cost, {l}, est), doctest::Contains("another graph"), scg::Error);
}

TEST_CASE("d cost / d cost is 1, and d cost / d (a rebuilt term) is that term's weight") {
  scg::Graph g;
  auto l = g.parameter("l", 0.4);
  auto b = scg::bernoulli(l);
  auto term = b * 3.0;
  auto cost = term + scg::square(l);  // split by the surrogate: both nodes are rebuilt
  const auto d = scg::grad(cost, {l, cost, term});
  scg::Session s(g, 1);
  for (int r = 0; r < 5; ++r) {
    const auto& v = s.run(std::vector<scg::Var>{b, d[0], d[1], d[2]});
    CHECK(v[1].item() == doctest::Approx(3.0 * v[0].item() * (v[0].item() - sig(0.4)) + 0.8).epsilon(1e-12));
    CHECK(v[2].item() == 1.0);
    CHECK(v[3].item() == 1.0);
  }
  auto plain = g.parameter("plain", 2.0);  // without choices it was already 1
  CHECK(s.run(scg::grad(plain * 3.0, {plain * 3.0})[0]).item() == 0.0);  // another node
  auto c2 = plain * 3.0;
  CHECK(s.run(scg::grad(c2, {c2})[0]).item() == 1.0);
}

TEST_CASE("invalid options are refused with the option's name") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor(2, 1));
  auto cost = scg::sum(scg::bernoulli(l) * l);
  for (double decay : {std::nan(""), 1.0, 1.5, -0.1}) {
    scg::GradOptions opt;
    opt.baseline = scg::Baseline::kMovingAverage;
    opt.decay = decay;
    INFO(decay);
    CHECK_THROWS_WITH_AS(scg::grad(cost, {l}, opt), doctest::Contains("decay"), scg::Error);
  }
  for (double m : {std::nan(""), 0.0, -5.0}) {
    scg::ExpectationOptions opt;
    opt.max_states = m;
    INFO(m);
    CHECK_THROWS_WITH_AS(scg::expectation(cost, opt), doctest::Contains("max_states"), scg::Error);
  }
  scg::GradOptions path;
  path.estimators = {{scg::bernoulli(l), scg::Estimator::kPathwise}};
  CHECK_THROWS_WITH_AS(scg::grad(cost, {l}, path), doctest::Contains("kPathwise"), scg::Error);
  scg::GradOptions not_random;
  not_random.estimators = {{l, scg::Estimator::kScore}};
  CHECK_THROWS_WITH_AS(scg::grad(cost, {l}, not_random), doctest::Contains("not a stochastic node"), scg::Error);
}

TEST_CASE("a normal node with the score estimator: right where the pathwise gradient is 0") {
  // E[step(z)] = P(z > 0) = Phi(mu / sd), z ~ N(mu, sd): d/dmu = phi(mu / sd) / sd. The
  // pathwise gradient is 0 (step is flat almost everywhere) and so is that of
  // stop_gradient(z) * 2; the score estimator is not.
  const double mu0 = 0.5, sd0 = 1.0;
  const double truth = std::exp(-0.5 * mu0 * mu0) / std::sqrt(2 * M_PI) / sd0;  // 0.352065
  scg::Graph g;
  auto mu = g.parameter("mu", mu0);
  auto sd = g.parameter("sd", sd0);
  auto z = scg::normal(scg::broadcast_to(mu, {64, 1}), sd);
  auto cost = scg::mean(scg::step(z));
  auto cost_sg = scg::mean(scg::stop_gradient(z) * 2.0);  // E = 2 mu: d/dmu = 2
  const auto pathwise = scg::grad(cost, {mu})[0];
  scg::GradOptions score;
  score.estimators = {{z, scg::Estimator::kScore}};
  const auto est = scg::grad(cost, {mu}, score)[0];
  const auto est_sg = scg::grad(cost_sg, {mu}, score)[0];
  scg::Session s(g, 11);
  CHECK(s.run(pathwise).item() == 0.0);
  const auto mc = scg_test::sample_moments(s, {est, est_sg}, 20000);
  scg_test::check_within(mc, {truth, 2.0}, 5.0);
  // The pathwise and the score estimator agree where both apply (a smooth cost).
  auto smooth = scg::mean(scg::square(z));  // E = mu^2 + sd^2: d/dmu = 2 mu
  const auto both = std::vector<scg::Var>{scg::grad(smooth, {mu})[0], scg::grad(smooth, {mu}, score)[0]};
  scg_test::check_within(scg_test::sample_moments(s, both, 20000), {2 * mu0, 2 * mu0}, 5.0);
}
