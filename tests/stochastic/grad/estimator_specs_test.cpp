// The spec table of the estimators on enumerable models: one row per (model, estimator), and
// one harness. The library computes each estimator's exact moments itself: its exact mean
// E[est] = expectation(est) must equal the exact gradient grad(expectation(cost)) (to 1e-10:
// unbiasedness, exactly), and its exact central moments, expectation((est - E[est])^2) and
// expectation((est - E[est])^4), give the exact variance and the standard error of a sample
// variance.
// Monte Carlo then checks the sampled mean within k standard errors (k corrected for the
// number of elements checked: 4 + log of the count) and the sampled variance within k
// fourth-moment standard errors of the exact variance.
// A second table holds the estimators whose noise is continuous (DisARM's shared uniforms,
// RELAX's relaxations, the pathwise and score estimators of a normal): their exact mean is the
// exact gradient, from grad(expectation(cost)) of the model (or of a twin with independent
// bernoulli rows, for pairs) or a closed form, and Monte Carlo checks the sampled mean within k
// sampled standard errors. (per_node_estimators_test.cpp and relaxation_test.cpp check their
// variances against integrals over the noise.) Both tables together cover every Estimator and
// every Baseline value.
#include <algorithm>
#include <cmath>
#include <functional>

#include "../mc.hpp"
#include "iwae_gauss.hpp"

namespace {

struct Model {
  scg::Var theta;  // the parameter (one row of logits, or a few)
  scg::Var node;   // the stochastic node the estimator is set on
  scg::Var cost;   // 1x1
};
using BuildModel = std::function<Model(scg::Graph&)>;

struct EstimatorSpec {
  const char* name;
  BuildModel model;
  scg::Estimator estimator;
  scg::Baseline baseline = scg::Baseline::kNone;
};

// Two rows of three Bernoulli elements; a cost that mixes columns within a row.
Model bernoulli_rows(scg::Graph& g) {
  auto theta = g.parameter("theta", scg::Tensor::from_rows({{0.3, -0.8, 1.1}, {-0.2, 0.5, 0.0}}));
  auto b = scg::bernoulli(theta);
  auto w = g.constant(scg::Tensor::from_rows({{1.0}, {-2.0}, {0.5}}));
  auto cost = scg::sum(scg::square(scg::matmul(b, w) - 0.3)) + scg::sum(b * theta);
  return {theta, b, cost};
}

// Three categorical rows of three states; a row cost that reads the logits too.
Model categorical_rows(scg::Graph& g) {
  auto theta = g.parameter(
      "theta", scg::Tensor::from_rows({{0.3, -0.8, 1.1}, {-0.2, 0.5, 0.0}, {0.7, 0.1, -0.4}}));
  auto z = scg::categorical(theta);
  auto f = g.constant(scg::Tensor::from_rows({{2.0}, {-1.0}, {0.5}}));
  auto cost = scg::sum(scg::square(scg::matmul(z, f))) + 0.5 * scg::sum(z * theta);
  return {theta, z, cost};
}

// A chain: the second choice's logit reads the first's sample.
Model chain(scg::Graph& g) {
  auto theta = g.parameter("theta", scg::Tensor::from_rows({{0.4, -0.6}}));
  auto a = scg::bernoulli(scg::slice_cols(theta, 0, 1));
  auto b = scg::bernoulli(scg::slice_cols(theta, 1, 1) + 1.5 * a);
  auto cost = scg::sum(scg::square(a + 2.0 * b - 1.2));
  return {theta, a, cost};
}

// Two antithetic pairs of rows, each pair one row of logits; a row-local cost (DisARM's
// condition). `twin` builds the same model with independent rows (the same marginals).
Model pairs_model(scg::Graph& g, bool twin) {
  auto theta = g.parameter("theta", scg::Tensor::from_rows({{0.3, -0.8, 1.1}, {-0.2, 0.5, 0.0}}));
  auto logits = scg::concat({scg::slice_rows(theta, 0, 1), scg::slice_rows(theta, 0, 1),
                              scg::slice_rows(theta, 1, 1), scg::slice_rows(theta, 1, 1)},
                             0);
  auto b = twin ? scg::bernoulli(logits) : scg::bernoulli_pairs(logits);
  auto w = g.constant(scg::Tensor::from_rows({{1.0}, {-2.0}, {0.5}}));
  auto cost = scg::sum(scg::square(scg::matmul(b, w) - 0.3)) + scg::sum(b * logits);
  return {theta, b, cost};
}

// Normal rows: x = mean + stddev * eps, cost sum((x - 0.3)^2): E[cost] = sum((mean - 0.3)^2 +
// stddev^2) in closed form. theta is [mean | log stddev].
Model normal_model(scg::Graph& g) {
  auto theta = g.parameter("theta", scg::Tensor::from_rows({{0.7, -0.4}, {-1.1, 0.2}}));
  auto x = scg::normal(scg::slice_cols(theta, 0, 1), scg::exp(scg::slice_cols(theta, 1, 1)));
  return {theta, x, scg::sum(scg::square(x - 0.3))};
}

using ExactGradient = std::function<scg::Var(scg::Graph&, const Model&)>;

scg::Var enumerated_gradient(scg::Graph&, const Model& m) {
  return scg::grad(scg::expectation(m.cost), {m.theta})[0];
}

scg::Var twin_pairs_gradient(scg::Graph& g, const Model&) {
  const Model twin = pairs_model(g, true);
  return scg::grad(scg::expectation(twin.cost), {twin.theta})[0];
}

scg::Var normal_closed_form(scg::Graph&, const Model& m) {
  auto mean = scg::slice_cols(m.theta, 0, 1), sd = scg::exp(scg::slice_cols(m.theta, 1, 1));
  auto exact = scg::sum(scg::square(mean - 0.3) + scg::square(sd));
  return scg::grad(exact, {m.theta})[0];  // deterministic: the closed form's derivative
}

// REBAR's control variate c(z) = eta f(z) for the bernoulli-rows cost, eta fixed.
scg::ControlVariate rebar(const Model& m, double eta, bool categorical) {
  const scg::Var theta = m.theta;
  return {m.node,
          [theta, eta, categorical](const scg::Var& z) {
            scg::Graph& g = z.graph();
            auto w = categorical ? g.constant(scg::Tensor::from_rows({{2.0}, {-1.0}, {0.5}}))
                                 : g.constant(scg::Tensor::from_rows({{1.0}, {-2.0}, {0.5}}));
            auto f = categorical ? scg::sum(scg::square(scg::matmul(z, w))) +
                                       0.5 * scg::sum(z * theta)
                                 : scg::sum(scg::square(scg::matmul(z, w) - 0.3)) +
                                       scg::sum(z * theta);
            return eta * f;
          },
          0.5};
}

// Two normal samples in a multi-sample bound (iwae_gauss.hpp); the exact gradient by quadrature.
Model iwae_gauss_model(scg::Graph& g) {
  const iwae_gauss::Gauss m = iwae_gauss::build(g);
  return {m.theta, m.z, m.cost};
}

scg::Var iwae_gauss_gradient(scg::Graph& g, const Model&) {
  const auto e = iwae_gauss::exact_gradient();
  return g.constant(scg::Tensor::from_rows(
      {{static_cast<double>(e[0]), static_cast<double>(e[1]), static_cast<double>(e[2])}}));
}

struct ContinuousSpec {
  const char* name;
  BuildModel model;
  scg::Estimator estimator;
  ExactGradient exact;
  scg::Baseline baseline = scg::Baseline::kNone;
  double rebar_eta = 0.0;  // kRelax: the control variate's weight
  bool categorical = false;
};

std::vector<ContinuousSpec> continuous_specs() {
  using E = scg::Estimator;
  auto pairs = [](scg::Graph& g) { return pairs_model(g, false); };
  return {
      {"disarm, antithetic pairs", pairs, E::kDisarm, twin_pairs_gradient},
      {"score, antithetic pairs (row-local cost)", pairs, E::kScore, twin_pairs_gradient},
      {"relax (rebar eta 0.8), bernoulli rows", bernoulli_rows, E::kRelax, enumerated_gradient,
       scg::Baseline::kNone, 0.8},
      {"relax (rebar eta 0.5), categorical rows", categorical_rows, E::kRelax,
       enumerated_gradient, scg::Baseline::kNone, 0.5, true},
      {"score + moving average, bernoulli rows", bernoulli_rows, E::kScore, enumerated_gradient,
       scg::Baseline::kMovingAverage},
      {"pathwise, normal rows", normal_model, E::kPathwise, normal_closed_form},
      {"score, normal rows", normal_model, E::kScore, normal_closed_form},
      {"dreg, two normal samples in a multi-sample bound", iwae_gauss_model, E::kDreg,
       iwae_gauss_gradient},
      {"unordered set (2 of 3 states), categorical rows", categorical_rows, E::kUnorderedSet,
       enumerated_gradient},
  };
}

// One row of choices broadcast to three rows, read by a cost that mixes the rows.
Model broadcast_row(scg::Graph& g, bool categorical) {
  auto theta = g.parameter("theta", scg::Tensor::from_rows({{0.3, -0.8, 1.1}}));
  auto z = categorical ? scg::categorical(theta) : scg::bernoulli(theta);
  auto x = scg::broadcast_to(z, {3, 3}) * g.constant(scg::Tensor::from_rows(
                                                {{1.0, -1.0, 0.5}, {0.2, 2.0, -1.0}, {1.5, 0.0, 0.3}}));
  auto cost = scg::square(scg::sum(x) - 0.4) + scg::sum(scg::slice_rows(x, 0, 1) * theta);
  return {theta, z, cost};
}

// The negated multi-sample (IWAE) bound: examples' logits repeated over K = 3 sample rows each,
// log w_r = <z_r, a_r> - log q(z_r), cost = -sum_b log_mean_exp(log w, 3)_b.
Model iwae_bound(scg::Graph& g, bool categorical) {
  auto theta = categorical
                   ? g.parameter("theta", scg::Tensor::from_rows({{0.3, -0.8, 1.1}}))
                   : g.parameter("theta", scg::Tensor::from_rows({{0.4}, {-0.7}}));
  const Eigen::Index rows = categorical ? 3 : 6;
  scg::Tensor pick(rows, 1);
  for (Eigen::Index r = 0; r < rows; ++r) pick(r, 0) = static_cast<double>(r / 3);
  auto logits = scg::gather_rows(theta, g.constant(pick));
  auto z = categorical ? scg::categorical(logits) : scg::bernoulli(logits);
  auto a = categorical ? g.constant(scg::Tensor::from_rows(
                             {{1.2, -0.3, 0.5}, {0.3, 0.9, -1.0}, {-0.5, 0.2, 0.7}}))
                       : g.constant(scg::Tensor::from_rows({{1.2}, {0.3}, {-0.5}, {0.8}, {-1.1}, {0.2}}));
  auto log_w = scg::sum(z * a, 1) - scg::log_prob(z);
  return {theta, z, -scg::sum(scg::log_mean_exp(log_w, 3))};
}

std::vector<EstimatorSpec> specs() {
  using E = scg::Estimator;
  auto bern_row = [](scg::Graph& g) { return broadcast_row(g, false); };
  auto cat_row = [](scg::Graph& g) { return broadcast_row(g, true); };
  return {
      {"enumerate, one bernoulli row broadcast to three", bern_row, E::kEnumerate},
      {"enumerate, one categorical row broadcast to three", cat_row, E::kEnumerate},
      {"score, one categorical row broadcast to three", cat_row, E::kScore},
      {"score, bernoulli rows", bernoulli_rows, E::kScore},
      {"score + leave-one-out, bernoulli rows", bernoulli_rows, E::kScore,
       scg::Baseline::kLeaveOneOut},
      {"enumerate, bernoulli rows", bernoulli_rows, E::kEnumerate},
      {"score, categorical rows", categorical_rows, E::kScore},
      {"score + leave-one-out, categorical rows", categorical_rows, E::kScore,
       scg::Baseline::kLeaveOneOut},
      {"enumerate, categorical rows", categorical_rows, E::kEnumerate},
      {"score, chain", chain, E::kScore},
      {"score + VIMCO, bernoulli samples in a multi-sample bound",
       [](scg::Graph& g) { return iwae_bound(g, false); }, E::kScore, scg::Baseline::kVimco},
      {"score + VIMCO, categorical samples in a multi-sample bound",
       [](scg::Graph& g) { return iwae_bound(g, true); }, E::kScore, scg::Baseline::kVimco},
  };
}

// One estimate of d E[cost] / d theta with `e` on the model's node.
scg::Var estimate(const Model& m, scg::Estimator e, scg::Baseline b,
                  std::vector<scg::ControlVariate> cv = {}) {
  scg::GradOptions o;
  o.estimators = {{m.node, e}};
  o.baseline = b;
  o.control_variates = std::move(cv);
  o.set_size = 2;  // kUnorderedSet
  return scg::grad(m.cost, {m.theta}, o)[0];
}

}  // namespace

TEST_CASE("estimator spec table: exact mean equals the exact gradient; Monte Carlo agrees") {
  for (const EstimatorSpec& spec : specs()) {
    INFO(spec.name);
    scg::Graph g;
    const Model m = spec.model(g);
    const scg::Var est = estimate(m, spec.estimator, spec.baseline);
    const scg::Var exact = scg::grad(scg::expectation(m.cost), {m.theta})[0];
    const scg::Var mean = scg::expectation(est);  // E[est], by the joint enumeration
    // Central moments: `mean` reads no choice, so expectation holds it constant.
    const scg::Var central2 = scg::expectation(scg::square(est - mean));
    const scg::Var central4 = scg::expectation(scg::square(scg::square(est - mean)));
    scg::Session s(g, 29);
    const std::vector<scg::Tensor> ex = s.run({exact, mean, central2, central4});
    const auto n = static_cast<std::size_t>(ex[0].shape().size());
    const int runs = 4000;
    const auto mc = scg_test::sample_moments(s, {est}, runs);
    const double k = 4.0 + std::log(static_cast<double>(n));
    for (std::size_t i = 0; i < n; ++i) {
      const double g_exact = ex[0].data()[i], m1 = ex[1].data()[i], var = ex[2].data()[i],
                   mu4 = ex[3].data()[i];
      INFO("element " << i << ": exact gradient " << g_exact << ", E[est] " << m1 << ", MC "
                      << mc.mean[i] << " +- " << mc.se[i]);
      CHECK(m1 == doctest::Approx(g_exact).epsilon(1e-10).scale(1.0));
      CHECK(var >= 0.0);
      CHECK(std::fabs(mc.mean[i] - g_exact) <= k * std::sqrt(std::max(var, 0.0) / runs) + 1e-9);
      // The sample variance's standard error: sqrt((mu4 - var^2) / runs), mu4 the exact fourth
      // central moment.
      INFO("variance: exact " << var << ", MC " << mc.var[i]);
      CHECK(std::fabs(mc.var[i] - var) <=
            k * std::sqrt(std::max(mu4 - var * var, 0.0) / runs) + 1e-9);
    }
    if (spec.estimator == scg::Estimator::kEnumerate) {
      // Enumeration has less variance than the plain score function on the same model: checked
      // exactly on the summed variance.
      scg::GradOptions plain;
      const scg::Var sest = scg::grad(m.cost, {m.theta}, plain)[0];
      const double v_enum = s.run(scg::sum(central2)).item();
      const scg::Var smean = scg::expectation(sest);
      const double v_score = s.run(scg::sum(scg::expectation(scg::square(sest - smean)))).item();
      CHECK(v_enum < v_score);
    }
  }
}

TEST_CASE("estimator spec table, continuous noise: the sampled mean is the exact gradient") {
  for (const ContinuousSpec& spec : continuous_specs()) {
    INFO(spec.name);
    scg::Graph g;
    const Model m = spec.model(g);
    std::vector<scg::ControlVariate> cv;
    if (spec.estimator == scg::Estimator::kRelax)
      cv = {rebar(m, spec.rebar_eta, spec.categorical)};
    const scg::Var est = estimate(m, spec.estimator, spec.baseline, cv);
    const scg::Var exact = spec.exact(g, m);
    scg::Session s(g, 31);
    const scg::Tensor ex = s.run(exact);
    const auto n = static_cast<std::size_t>(ex.shape().size());
    const int runs = 6000;
    const auto mc = scg_test::sample_moments(s, {est}, runs);
    const double k = 4.0 + std::log(static_cast<double>(n));
    for (std::size_t i = 0; i < n; ++i) {
      INFO("element " << i << ": exact gradient " << ex.data()[i] << ", MC " << mc.mean[i]
                      << " +- " << mc.se[i]);
      CHECK(std::fabs(mc.mean[i] - ex.data()[i]) <= k * mc.se[i] + 1e-9);
    }
  }
}

TEST_CASE("the estimator spec tables cover every Estimator and every Baseline value") {
  std::vector<scg::Estimator> estimators;
  std::vector<scg::Baseline> baselines;
  for (const EstimatorSpec& s : specs()) estimators.push_back(s.estimator), baselines.push_back(s.baseline);
  for (const ContinuousSpec& s : continuous_specs())
    estimators.push_back(s.estimator), baselines.push_back(s.baseline);
  auto has = [](const auto& list, auto v) { return std::find(list.begin(), list.end(), v) != list.end(); };
  // to_string names every declared value and falls back to "Enum(N)" past the last one.
  int n_est = 0, n_base = 0;
  for (; scg::to_string(static_cast<scg::Estimator>(n_est)).rfind("Estimator::k", 0) == 0; ++n_est) {
    INFO(scg::to_string(static_cast<scg::Estimator>(n_est)));
    CHECK(has(estimators, static_cast<scg::Estimator>(n_est)));
  }
  for (; scg::to_string(static_cast<scg::Baseline>(n_base)).rfind("Baseline::k", 0) == 0; ++n_base) {
    INFO(scg::to_string(static_cast<scg::Baseline>(n_base)));
    CHECK(has(baselines, static_cast<scg::Baseline>(n_base)));
  }
  CHECK(n_est == 7);   // kScore .. kUnorderedSet: a new value must be named here and get a row
  CHECK(n_base == 4);  // kNone, kMovingAverage, kLeaveOneOut, kVimco
}
