// Estimator::kUnorderedSet pinned to the unordered-set estimator with its built-in baseline:
// its exact distribution is computed here by enumerating every ordered draw of k states
// without replacement per row (probability prod p_(i) / (1 - sum_{j<i} p_(j))), the estimator's
// formula evaluated at each unordered set in long double with the set probabilities summed
// over orders; the exact mean equals the exact gradient, and the library's Monte-Carlo mean
// and variance agree with the exact ones within k standard errors (the variance's from the
// exact fourth moment), for set sizes on both sides of the switch from order sums to the
// inclusion-exclusion form (checked directly too). Then the errors.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#include <scg/stochastic/grad/detail/estimator_rule.hpp>
#include <vector>

#include "../mc.hpp"

namespace {
using ld = long double;
using scg::Var;

/// P(T first) without replacement from probabilities renormalized without mass m, over orders.
ld set_probability(std::vector<ld> p, ld m) {
  std::sort(p.begin(), p.end());
  ld total = 0;
  do {
    ld prod = 1, left = 1 - m;
    for (ld q : p) prod *= q / left, left -= q;
    total += prod;
  } while (std::next_permutation(p.begin(), p.end()));
  return total;
}

/// The estimator's weight per position of an unordered set S (indices into p) with costs f.
std::vector<ld> weights(const std::vector<ld>& p, const std::vector<int>& S,
                        const std::vector<ld>& f) {
  const std::size_t k = S.size();
  auto probs = [&](int a, int b) {
    std::vector<ld> out;
    for (std::size_t i = 0; i < k; ++i)
      if (static_cast<int>(i) != a && static_cast<int>(i) != b) out.push_back(p[S[i]]);
    return out;
  };
  const ld ps = set_probability(probs(-1, -1), 0);
  std::vector<ld> w(k);
  for (std::size_t i = 0; i < k; ++i) {
    const int a = static_cast<int>(i);
    const ld pi = p[S[i]], p_wo = set_probability(probs(a, a), pi);
    ld b = pi * f[i];
    for (std::size_t j = 0; j < k; ++j)
      if (j != i)
        b += p[S[j]] * set_probability(probs(a, static_cast<int>(j)), pi + p[S[j]]) / p_wo * f[j];
    w[i] = pi * p_wo / ps * (f[i] - b);
  }
  return w;
}

struct Row {
  std::vector<ld> p, f;  // state probabilities and costs
};

/// The exact mean, variance and fourth central moment of the estimator of d E[f] / d logits for
/// one row (per logit), by every ordered draw of k states.
void exact_moments(const Row& row, int k, std::vector<ld>& mean, std::vector<ld>& var,
                   std::vector<ld>& m4) {
  const int n = static_cast<int>(row.p.size());
  std::vector<std::pair<ld, std::vector<ld>>> outcomes;  // probability, estimate
  std::vector<int> seq;
  std::function<void(ld, ld)> draw = [&](ld prob, ld used) {
    if (static_cast<int>(seq.size()) == k) {
      const std::vector<ld> w = weights(row.p, seq, [&] {
        std::vector<ld> f;
        for (int s : seq) f.push_back(row.f[s]);
        return f;
      }());
      std::vector<ld> est(n, 0);
      for (int i = 0; i < k; ++i)
        for (int j = 0; j < n; ++j) est[j] += w[i] * ((j == seq[i]) - row.p[j]);
      outcomes.emplace_back(prob, est);
      return;
    }
    for (int s = 0; s < n; ++s) {
      if (std::find(seq.begin(), seq.end(), s) != seq.end()) continue;
      seq.push_back(s);
      draw(prob * row.p[s] / (1 - used), used + row.p[s]);
      seq.pop_back();
    }
  };
  draw(1, 0);
  mean.assign(n, 0), var.assign(n, 0), m4.assign(n, 0);
  for (const auto& [q, e] : outcomes)
    for (int j = 0; j < n; ++j) mean[j] += q * e[j];
  for (const auto& [q, e] : outcomes)
    for (int j = 0; j < n; ++j) {
      const ld d = e[j] - mean[j];
      var[j] += q * d * d, m4[j] += q * d * d * d * d;
    }
}

void check_estimator(int n, int k, int runs) {
  CAPTURE(n);
  CAPTURE(k);
  scg::Graph g;
  scg::Tensor th(2, n), v(n, 1), t = scg::Tensor::from_rows({{0.3}, {-0.6}});
  for (int j = 0; j < n; ++j) {
    v(j, 0) = std::sin(1.7 * j + 0.4);
    for (int r = 0; r < 2; ++r) th(r, j) = 0.6 * std::cos(1.1 * j + 2.3 * r);
  }
  const Var theta = g.parameter("theta", th);
  const Var z = scg::categorical(theta);
  const Var cost = scg::sum(scg::square(scg::matmul(z, g.constant(v)) - g.constant(t)));
  scg::GradOptions o;
  o.estimators = {{z, scg::Estimator::kUnorderedSet}};
  o.set_size = static_cast<std::size_t>(k);
  const Var est = scg::grad(cost, {theta}, o)[0];
  scg::Session s(g, 17);
  const auto mc = scg_test::sample_moments(s, {est}, runs);
  const double kse = 4.0 + std::log(2.0 * n);
  for (int r = 0; r < 2; ++r) {
    Row row;
    ld zsum = 0;
    for (int j = 0; j < n; ++j) zsum += std::exp(static_cast<ld>(th(r, j)));
    for (int j = 0; j < n; ++j) {
      row.p.push_back(std::exp(static_cast<ld>(th(r, j))) / zsum);
      const ld d = v(j, 0) - t(r, 0);
      row.f.push_back(d * d);
    }
    std::vector<ld> mean, var, m4;
    exact_moments(row, k, mean, var, m4);
    ld ef = 0;
    for (int j = 0; j < n; ++j) ef += row.p[j] * row.f[j];
    for (int j = 0; j < n; ++j) {
      CAPTURE(r);
      CAPTURE(j);
      const double exact_grad = static_cast<double>(row.p[j] * (row.f[j] - ef));
      CHECK(static_cast<double>(mean[j]) == doctest::Approx(exact_grad).epsilon(1e-12).scale(1.0));
      // The sample is column-major: element (r, j) is at j * 2 + r.
      const std::size_t e = static_cast<std::size_t>(j * 2 + r);
      const double vd = static_cast<double>(var[j]);
      CHECK(std::fabs(mc.mean[e] - exact_grad) <= kse * std::sqrt(vd / runs) + 1e-12);
      CHECK(std::fabs(mc.var[e] - vd) <=
            kse * std::sqrt(std::max(0.0L, m4[j] - var[j] * var[j]) / runs) + 1e-12);
    }
  }
}
}  // namespace

TEST_CASE(
    "the unordered set's probability: order sums and inclusion-exclusion agree with long double") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.05, 1.0);
  for (int size = 1; size <= 8; ++size)
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<double> w(static_cast<std::size_t>(size + 3));
      for (double& x : w) x = u(rng);
      const double total = std::accumulate(w.begin(), w.end(), 0.0);
      std::vector<double> p;
      std::vector<ld> pl;
      for (int i = 0; i < size; ++i)
        p.push_back(w[i] / total), pl.push_back(static_cast<ld>(w[i]) / total);
      const double m = w[static_cast<std::size_t>(size)] / total;  // one state removed
      CAPTURE(size);
      CHECK(scg::detail::unordered_set_probability(std::span<double>(p), m) ==
            doctest::Approx(static_cast<double>(set_probability(pl, static_cast<ld>(m))))
                .epsilon(1e-12));
    }
}

TEST_CASE("kUnorderedSet is the unordered-set estimator: exact moments by every ordered draw") {
  check_estimator(5, 2, 6000);
  check_estimator(5, 3, 6000);
  check_estimator(7, 6, 3000);  // the inclusion-exclusion form (sets above 5 states)
}

TEST_CASE("kUnorderedSet refuses what it cannot answer, and a second derivative") {
  scg::Graph g;
  const Var theta = g.parameter("theta", scg::Tensor(2, 4, 0.1));
  const Var z = scg::categorical(theta);
  const Var cost = scg::sum(scg::square(scg::sum(z * theta, 1) - 0.2));
  scg::GradOptions o;
  o.estimators = {{z, scg::Estimator::kUnorderedSet}};
  for (std::size_t k : {0, 1, 5}) {
    o.set_size = k;
    CHECK_THROWS_WITH_AS(scg::grad(cost, {theta}, o), doctest::Contains("set_size"), scg::Error);
  }
  o.set_size = 2;
  const Var d = scg::grad(cost, {theta}, o)[0];
  CHECK_THROWS_WITH_AS(scg::grad(scg::sum(scg::square(d)), {theta}),
                       doctest::Contains("first-order"), scg::Error);
  const Var b = scg::bernoulli(theta);
  scg::GradOptions ob;
  ob.estimators = {{b, scg::Estimator::kUnorderedSet}};
  ob.set_size = 2;
  CHECK_THROWS_WITH_AS(scg::grad(scg::sum(b), {theta}, ob), doctest::Contains("not a categorical"),
                       scg::Error);
  // Rows mixed by the cost: refused like kEnumerate.
  CHECK_THROWS_WITH_AS(scg::grad(scg::square(scg::sum(z * theta) - 0.2), {theta}, o),
                       doctest::Contains("mix rows"), scg::Error);
}
