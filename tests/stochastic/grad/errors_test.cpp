// Bad input: scg::Error naming the node, never a crash, a hang or a silent NaN.
#include <chrono>
#include <cmath>
#include <limits>

#include "../mc.hpp"

TEST_CASE("non-finite logits and bad stddev throw at run time, naming the node") {
  scg::Graph g;
  auto l = g.parameter("logit", 0.0);
  auto b = scg::bernoulli(l);
  auto cl = g.parameter("cl", scg::Tensor(2, 3));
  auto c = scg::categorical(cl);
  auto spread = scg::broadcast_to(l, {2, 3}) * 2.0;
  auto sd = g.parameter("sd", 1.0);
  auto z = scg::normal(l, sd);
  scg::Session s(g, 1);
  for (double bad : {std::nan(""), double(INFINITY), -double(INFINITY)}) {
    l.set_value(bad);
    CHECK_THROWS_WITH_AS(s.run(b), doctest::Contains("bernoulli"), scg::Error);
    std::string node_tag = std::to_string(b.id());
    node_tag.insert(0, 1, '#');  // (not "#" + ...: GCC 12 warns falsely, bug 105329)
    CHECK_THROWS_WITH_AS(s.run(b), doctest::Contains(node_tag.c_str()), scg::Error);
    cl.set_value(scg::Tensor::from_rows({{0, 1, 2}, {3, bad, 5}}));
    CHECK_THROWS_WITH_AS(s.run(c), doctest::Contains("categorical"), scg::Error);
    // Through other ops, the message names where the non-finite value came from.
    CHECK_THROWS_WITH_AS(s.run(spread), doctest::Contains("parameter 'logit'"), scg::Error);
    CHECK_THROWS_WITH_AS(s.run(z), doctest::Contains("normal"), scg::Error);
  }
  l.set_value(0.0);
  for (double bad : {0.0, -1.0, std::nan("")}) {
    sd.set_value(bad);
    CHECK_THROWS_WITH_AS(s.run(z), doctest::Contains("stddev"), scg::Error);
  }
  sd.set_value(1.0);
  CHECK(std::isfinite(s.run(z).item()));
}

TEST_CASE("grad needs a 1x1 cost; log_prob needs a stochastic node") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor(3, 1));
  auto b = scg::bernoulli(l);
  CHECK_THROWS_AS(scg::grad(b, {l}), scg::ShapeError);
  CHECK_THROWS_WITH_AS(scg::log_prob(l), doctest::Contains("not a stochastic node"), scg::Error);
  CHECK(scg::log_prob(b).shape() == l.shape());
  CHECK(scg::log_prob(scg::categorical(scg::transpose(l))).shape() == scg::Shape{1, 1});
}

TEST_CASE("expectation refuses quickly: too many states, continuous ancestors") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor(1, 40));
  auto b = scg::bernoulli(l);
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(scg::expectation(scg::sum(b)), doctest::Contains("1099511627776"), scg::Error);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  CHECK(g.size() < 10);  // nothing was built
  scg::ExpectationOptions small;
  small.max_states = 2;
  auto two = scg::bernoulli(g.parameter("m", scg::Tensor(1, 2)));
  CHECK_THROWS_AS(scg::expectation(scg::sum(two), small), scg::Error);
  auto z = scg::normal(g.parameter("mu", 0.0), g.parameter("s", 1.0));
  CHECK_THROWS_WITH_AS(scg::expectation(z * 2.0), doctest::Contains("continuous"), scg::Error);
}

TEST_CASE("log-probabilities stay finite at logits of +-1000") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor::from_rows({{1000.0}, {-1000.0}}));
  auto b = scg::bernoulli(l);
  auto lp = scg::sum(scg::log_prob(b));
  auto cl = g.parameter("cl", scg::Tensor::from_rows({{1000.0, -1000.0, 0.0}}));
  auto c = scg::categorical(cl);
  auto lpc = scg::sum(scg::log_prob(c));
  scg::Session s(g, 1);
  for (int i = 0; i < 20; ++i) {
    const auto& v = s.run(std::vector<scg::Var>{b, lp, c, lpc});
    CHECK(v[0](0, 0) == 1.0);
    CHECK(v[0](1, 0) == 0.0);
    CHECK(v[1].item() == doctest::Approx(0.0));
    CHECK(v[2](0, 0) == 1.0);
    CHECK(v[3].item() == doctest::Approx(0.0));
  }
  // Every outcome, including the impossible ones, has a finite log-probability, and the
  // exact expected log-probability and its gradient are finite.
  auto e = scg::expectation(lp - lpc);
  auto ge = scg::grad(e, {l, cl});
  const auto& v = s.run(std::vector<scg::Var>{e, ge[0], ge[1]});
  CHECK(v[0].all_finite());
  CHECK(v[1].all_finite());
  CHECK(v[2].all_finite());
  auto ge_est = scg::grad(lp + lpc, {l, cl});
  CHECK(s.run(ge_est[0]).all_finite());
}

TEST_CASE("one sample per run: every reader sees the same sample; runs differ") {
  scg::Graph g;
  auto b = scg::bernoulli(g.parameter("l", scg::Tensor(1, 64)));
  auto twice = b + b, sq = b * b;
  scg::Session s(g, 8);
  const auto& v = s.run(std::vector<scg::Var>{b, twice, sq});
  CHECK(v[1].matrix() == 2.0 * v[0].matrix());
  CHECK(v[2].matrix() == v[0].matrix());
  const scg::Tensor first = s.run(b);
  CHECK(!(s.run(b) == first));  // 2^-64 chance of a false failure
  scg::Session s1(g, 99), s2(g, 99);
  for (int i = 0; i < 5; ++i) CHECK(s1.run(b) == s2.run(b));
}
