// The spec table of the distributions, as tests/ops/op_specs.hpp is for ops: one row per family
// with its builder from scalar parameters, the closed-form mean and variance of one element,
// a log-density reference (Boost.Math or a closed form written here) at a few points, a value
// outside its support (a fed value that must be refused) and invalid parameters (a clear
// scg::Error at run time). One harness reads every row; a coverage test fails for a family
// declared in distributions.hpp without a row.
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/exponential.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/laplace.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/poisson.hpp>
#include <boost/math/distributions/uniform.hpp>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "../mc.hpp"

namespace {

namespace bm = boost::math;
using Build = std::function<scg::Var(scg::Graph&, const std::vector<scg::Var>&)>;

struct DistSpec {
  const char* name;
  Build build;                        // from parameter nodes (each rows x cols)
  std::vector<double> valid;          // parameter values
  std::vector<double> invalid;        // parameter values the sampler must refuse
  double mean, var;                   // of element (r, 0)
  std::vector<double> points;         // where log_prob is compared with ...
  std::function<double(double)> ref;  // ... the reference log-density of element (r, 0)
  double outside;                     // a fed value outside the support
  Eigen::Index cols = 1;              // columns of the sample (categorical: the states)
};

double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Categorical over 3 states with logits (l, 0, 0) from one parameter l; element 0 of a row.
scg::Var categorical3(scg::Graph& g, const std::vector<scg::Var>& p) {
  const scg::Var zeros = g.constant(scg::Tensor(p[0].rows(), 2, 0.0));
  return scg::categorical(scg::concat({p[0], zeros}, 1));
}

std::vector<DistSpec> specs() {
  const double p = sig(0.4);
  const double c0 = std::exp(0.4) / (std::exp(0.4) + 2.0);
  return {
      {"bernoulli",
       [](scg::Graph&, const auto& v) { return scg::bernoulli(v[0]); },
       {0.4},
       {NAN},
       p,
       p * (1 - p),
       {0.0, 1.0},
       [p](double x) { return std::log(x ? p : 1 - p); },
       0.5},
      {"bernoulli_pairs",
       [](scg::Graph&, const auto& v) { return scg::bernoulli_pairs(v[0]); },
       {0.4},
       {NAN},
       p,
       p * (1 - p),
       {0.0, 1.0},
       [p](double x) { return std::log(x ? p : 1 - p); },
       2.0},
      {"categorical", categorical3, {0.4}, {NAN}, c0, c0 * (1 - c0), {}, nullptr, 0.5, 3},
      {"normal",
       [](scg::Graph&, const auto& v) { return scg::normal(v[0], v[1]); },
       {0.3, 1.7},
       {0.3, -1.0},
       0.3,
       1.7 * 1.7,
       {-2.0, 0.3, 4.0},
       [](double x) { return std::log(bm::pdf(bm::normal_distribution<>(0.3, 1.7), x)); },
       NAN},
      {"gamma",
       [](scg::Graph&, const auto& v) { return scg::gamma(v[0], v[1]); },
       {2.5, 2.0},
       {-1.0, 2.0},
       2.5 / 2,
       2.5 / 4,
       {0.1, 0.9, 2.7},
       [](double x) { return std::log(bm::pdf(bm::gamma_distribution<>(2.5, 0.5), x)); },
       -1.0},
      {"beta",
       [](scg::Graph&, const auto& v) { return scg::beta(v[0], v[1]); },
       {2.0, 3.0},
       {0.0, 3.0},
       0.4,
       6.0 / (25 * 6),
       {0.1, 0.5, 0.9},
       [](double x) { return std::log(bm::pdf(bm::beta_distribution<>(2.0, 3.0), x)); },
       1.5},
      {"poisson",
       [](scg::Graph&, const auto& v) { return scg::poisson(v[0]); },
       {3.5},
       {-1.0},
       3.5,
       3.5,
       {0.0, 1.0, 3.0, 9.0},
       [](double x) { return std::log(bm::pdf(bm::poisson_distribution<>(3.5), x)); },
       0.5},
      {"exponential",
       [](scg::Graph&, const auto& v) { return scg::exponential(v[0]); },
       {0.5},
       {0.0},
       2.0,
       4.0,
       {0.1, 0.9, 2.7},
       [](double x) { return std::log(bm::pdf(bm::exponential_distribution<>(0.5), x)); },
       -1.0},
      {"uniform",
       [](scg::Graph&, const auto& v) { return scg::uniform(v[0], v[1]); },
       {-1.0, 3.0},
       {3.0, -1.0},
       1.0,
       16.0 / 12,
       {-0.5, 0.9, 2.7},
       [](double x) { return std::log(bm::pdf(bm::uniform_distribution<>(-1.0, 3.0), x)); },
       5.0},
      {"laplace",
       [](scg::Graph&, const auto& v) { return scg::laplace(v[0], v[1]); },
       {0.7, 1.5},
       {0.7, 0.0},
       0.7,
       2 * 1.5 * 1.5,
       {-2.0, 0.7, 2.7},
       [](double x) { return std::log(bm::pdf(bm::laplace_distribution<>(0.7, 1.5), x)); },
       NAN},
  };
}

constexpr Eigen::Index kRows = 4000;

std::vector<scg::Var> params(scg::Graph& g, const std::vector<double>& values, Eigen::Index rows) {
  std::vector<scg::Var> out;
  for (double v : values) out.push_back(g.constant(scg::Tensor(rows, 1, v)));
  return out;
}

}  // namespace

TEST_CASE("distribution spec table: sample moments within 5 standard errors") {
  for (const DistSpec& d : specs()) {
    INFO(d.name);
    scg::Graph g;
    const scg::Var x = scg::slice_cols(d.build(g, params(g, d.valid, kRows)), 0, 1);
    scg::Session s(g, 17);
    double m = 0, m2 = 0, m4 = 0;
    long n = 0;
    for (int r = 0; r < 5; ++r) {
      const scg::Tensor& t = s.run(x);
      for (Eigen::Index i = 0; i < t.rows(); ++i) {
        const double e = t(i, 0) - d.mean;
        m += e, m2 += e * e, m4 += e * e * e * e, ++n;
      }
    }
    INFO("mean " << d.mean + m / n << " want " << d.mean << "; variance " << m2 / n << " want "
                 << d.var);
    CHECK(std::fabs(m / n) <= 5 * std::sqrt(d.var / n));
    CHECK(std::fabs(m2 / n - d.var) <= 5 * std::sqrt((m4 / n - d.var * d.var) / n));
  }
}

TEST_CASE("distribution spec table: log_prob against the reference densities") {
  for (const DistSpec& d : specs()) {
    INFO(d.name);
    scg::Graph g;
    const scg::Var x = d.build(g, params(g, d.valid, 2));
    scg::Session s(g, 1);
    if (!d.ref) {  // categorical: the row log-probabilities are log softmax
      const double z = std::log(std::exp(d.valid[0]) + 2.0);
      for (Eigen::Index k = 0; k < d.cols; ++k) {
        scg::Tensor onehot(2, d.cols);
        onehot.matrix().col(k).setOnes();
        const double want = (k == 0 ? d.valid[0] : 0.0) - z;
        CHECK(s.run(scg::log_prob(x), {{x, onehot}})(0, 0) == doctest::Approx(want).epsilon(1e-13));
      }
      continue;
    }
    for (double v : d.points) {
      INFO("at " << v);
      const scg::Tensor value(2, d.cols, v);
      const double got = s.run(scg::log_prob(x), {{x, value}})(0, 0);
      CHECK(got == doctest::Approx(d.ref(v)).epsilon(1e-12).scale(1.0));
    }
  }
}

TEST_CASE("distribution spec table: values outside the support and invalid parameters throw") {
  for (const DistSpec& d : specs()) {
    INFO(d.name);
    scg::Graph g;
    const scg::Var x = d.build(g, params(g, d.valid, 2));
    const scg::Var bad = d.build(g, params(g, d.invalid, 2));
    scg::Session s(g, 1);
    const scg::Tensor outside(2, d.cols, d.outside);
    CHECK_THROWS_AS(s.run({x}, {{x, outside}}), scg::Error);
    std::string said;
    try {
      s.run(bad);
    } catch (const scg::Error& e) {
      said = e.what();
    }
    INFO(said);
    // Names the distribution's node, or (a NaN logit, which the session's finite check finds
    // first where it enters the graph) the node the non-finite value came from.
    CHECK(!said.empty());
    CHECK((said.find(d.name) != std::string::npos || said.find("non-finite") != std::string::npos));
  }
}

TEST_CASE("every family declared in distributions.hpp has a spec row") {
  std::ifstream header(SCG_DISTRIBUTIONS_HEADER);
  REQUIRE(header.good());
  // Not families, or tested against their own references in relaxation_test.cpp (the
  // relaxations' moments have no closed form).
  const std::set<std::string> not_rows = {"kl_divergence",     "entropy",
                                          "black_box",         "log_prob",
                                          "relaxed_bernoulli", "relaxed_categorical"};
  std::set<std::string> rows;
  for (const DistSpec& d : specs()) rows.insert(d.name);
  int declared = 0;
  for (std::string line; std::getline(header, line);) {
    if (line.rfind("Var ", 0) != 0) continue;
    const std::string fn = line.substr(4, line.find('(') - 4);
    if (not_rows.count(fn)) continue;
    ++declared;
    INFO(fn);
    CHECK(rows.count(fn) == 1);
  }
  CHECK(declared == static_cast<int>(rows.size()));
}
