// Graphs that grow with a loop: no recursion limits and no quadratic blow-up in grad. (Timing
// and memory figures are in the benchmarks; these tests check that such graphs work at all,
// at sizes that crashed or ran out of memory before, and that the estimates are right.)
#include <cmath>

#include "../mc.hpp"

namespace {
double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

TEST_CASE("a chain of 20000 additions above a Bernoulli: grad, expectation, run") {
  scg::Graph g;
  auto l = g.parameter("l", 0.3);
  auto b = scg::bernoulli(l);
  scg::Var x = b;
  for (int k = 0; k < 20000; ++k) x = x + 1.0;  // x = b + 20000
  const auto est = scg::grad(x, {l})[0];
  scg::Session s(g, 1);
  // One run: the 20000 constant terms depend on no choice and are not weighted; only the
  // term b weights b's score b - sig(l).
  for (int r = 0; r < 20; ++r) {
    const auto& v = s.run(std::vector<scg::Var>{b, est});
    CHECK(v[1].item() == doctest::Approx(v[0].item() * (v[0].item() - sig(0.3))).epsilon(1e-12));
  }
  // Exactly: E[x] = sig(l) + 20000, d/dl = sig(l)(1 - sig(l)).
  CHECK(s.run(scg::expectation(est)).item() == doctest::Approx(sig(0.3) * (1 - sig(0.3))).epsilon(1e-9));
}

TEST_CASE("a chain of 100000 multiplications above a Bernoulli, and grad of grad") {
  scg::Graph g;
  auto l = g.parameter("l", -0.2);
  auto b = scg::bernoulli(l);
  scg::Var x = b + 1.0;
  for (int k = 0; k < 100000; ++k) x = x * 1.00001;  // x = (b + 1) k, k = 1.00001^100000
  const double k = std::pow(1.00001, 100000);
  const auto g1 = scg::grad(x, {l})[0];
  const auto g2 = scg::grad(g1, {l})[0];
  scg::Session s(g, 2);
  const double p = sig(-0.2);
  // E[x] = (1 + p) k: first and second derivatives p' k and p'' k.
  CHECK(s.run(scg::expectation(g1)).item() == doctest::Approx(p * (1 - p) * k).epsilon(1e-9));
  CHECK(s.run(scg::expectation(g2)).item() == doctest::Approx(p * (1 - p) * (1 - 2 * p) * k).epsilon(1e-9));
}

TEST_CASE("a running sum of 30000 Bernoulli terms: each term weighted by its own choice only") {
  // Before, every node stored every upstream choice: O(n^2) time and memory (10^4 terms: 8 s
  // and 0.9 GB; this size ran out of memory).
  const int n = 30000;
  scg::Graph g;
  auto l = g.parameter("l", 0.1);
  std::vector<scg::Var> bs;
  scg::Var total;
  for (int i = 0; i < n; ++i) {
    bs.push_back(scg::bernoulli(l));
    const scg::Var term = bs.back() * static_cast<double>(1 + i % 7);
    total = total.empty() ? term : total + term;
  }
  const auto est = scg::grad(total, {l})[0];
  std::vector<scg::Var> targets = bs;
  targets.push_back(est);
  scg::Session s(g, 3);
  for (int r = 0; r < 3; ++r) {
    const auto& v = s.run(targets);
    double want = 0.0;  // sum_i w_i b_i (b_i - sig(l)): term i's score weighted by term i only
    for (int i = 0; i < n; ++i) want += (1 + i % 7) * v[i].item() * (v[i].item() - sig(0.1));
    CHECK(v[n].item() == doctest::Approx(want).epsilon(1e-10));
  }
}
