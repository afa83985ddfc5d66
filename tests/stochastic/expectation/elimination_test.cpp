// expectation by variable elimination: chains of 20, 100 and 400 Bernoulli and categorical
// choices against forward recursions written here (value and exact gradient, by dual numbers in
// long double); a 64-row plate against the NOT gate's closed form; a tree and a loopy model
// against the joint enumeration (to second order); the factor bound; sample_continuous.
#include <array>
#include <cmath>
#include <vector>

#include "../mc.hpp"
#include "../not_gate_exact.hpp"

namespace {

/// A number with one directional derivative, for exact gradients of the recursions.
struct Dual {
  long double v = 0, d = 0;
};
Dual operator+(Dual a, Dual b) { return {a.v + b.v, a.d + b.d}; }
Dual operator-(Dual a, Dual b) { return {a.v - b.v, a.d - b.d}; }
Dual operator*(Dual a, Dual b) { return {a.v * b.v, a.d * b.v + a.v * b.d}; }
Dual sigmoid(Dual x) {
  const long double s = 1.0L / (1.0L + std::exp(-x.v));
  return {s, s * (1 - s) * x.d};
}
Dual dexp(Dual x) {
  const long double e = std::exp(x.v);
  return {e, e * x.d};
}
Dual constant(long double c) { return {c, 0}; }

long double target(int t) { return 0.5L + 0.4L * std::sin(0.7L * t); }

/// E[sum_t (z_t - y_t)^2] for z_1 ~ Bern(sig(a)), z_t ~ Bern(sig(a + w z_{t-1})), by the forward
/// recursion on the marginals q_t = P(z_t = 1).
Dual bernoulli_chain(int T, Dual a, Dual w) {
  Dual q = sigmoid(a), e = constant(0);
  for (int t = 0; t < T; ++t) {
    if (t > 0) q = (constant(1) - q) * sigmoid(a) + q * sigmoid(a + w);
    const long double y = target(t);
    e = e + q * constant((1 - y) * (1 - y)) + (constant(1) - q) * constant(y * y);
  }
  return e;
}

struct BernoulliChain {
  scg::Graph g;
  scg::Var a = g.parameter("a", -0.3), w = g.parameter("w", 1.7);
  scg::Var cost;
  explicit BernoulliChain(int T) {
    scg::Var z = scg::bernoulli(a);
    for (int t = 0; t < T; ++t) {
      if (t > 0) z = scg::bernoulli(a + w * z);
      const scg::Var c = scg::square(z - static_cast<double>(target(t)));
      cost = cost.empty() ? c : cost + c;
    }
  }
};

/// Nodes of op `name` that `e` depends on.
std::size_t count_op(scg::Graph& g, const scg::Var& e, const std::string& name) {
  const std::vector<char> anc = g.ancestors(std::vector<scg::Var>{e});
  std::size_t n = 0;
  for (std::size_t id = 0; id < anc.size(); ++id) n += anc[id] && g.op(id) && g.op(id)->name() == name;
  return n;
}

}  // namespace

TEST_CASE("Bernoulli chains of 20, 100, 400 choices: value and gradient equal the forward recursion") {
  std::size_t nodes_100 = 0, softplus_100 = 0;
  for (int T : {20, 100, 400}) {
    BernoulliChain m(T);
    const std::size_t before = m.g.size();
    const scg::Var e = scg::expectation(m.cost);
    const std::size_t added = m.g.size() - before;
    const auto gr = scg::grad(e, {m.a, m.w});
    scg::Session s(m.g, 1);
    const auto& v = s.run({e, gr[0], gr[1]});
    const Dual da = bernoulli_chain(T, {-0.3L, 1}, {1.7L, 0}), dw = bernoulli_chain(T, {-0.3L, 0}, {1.7L, 1});
    INFO("T = " << T);
    CHECK(std::fabs(v[0].item() - static_cast<double>(da.v)) <= 1e-10 * std::fabs(static_cast<double>(da.v)));
    CHECK(std::fabs(v[1].item() - static_cast<double>(da.d)) <= 1e-10 * std::max(1.0L, std::fabs(da.d)));
    CHECK(std::fabs(v[2].item() - static_cast<double>(dw.d)) <= 1e-10 * std::max(1.0L, std::fabs(dw.d)));
    // Linear growth: the nodes expectation adds grow with T (joint enumeration: 2^T states).
    if (T == 100) nodes_100 = added;
    if (T == 400) {
      MESSAGE("nodes added by expectation: T = 100: " << nodes_100 << ", T = 400: " << added);
      CHECK(added <= 4.2 * nodes_100);
    }
    // Every step after the first has the same transition p(z_t | z_{t-1}) = Bern(sig(a + w
    // z_{t-1})): its log-probabilities (one softplus per state pair) are built once, not per step.
    const std::size_t softplus = count_op(m.g, e, "softplus");
    if (T == 100) softplus_100 = softplus;
    if (T == 400) CHECK(softplus == softplus_100);
    CHECK(softplus <= 6);
  }
}

namespace {

constexpr int kK = 3;
using Matrix = std::array<std::array<Dual, kK>, kK>;

/// Categorical chain: z_1 ~ Cat(softmax(l0)), z_t ~ Cat(softmax(L[z_{t-1}])), cost
/// sum_t (u . z_t - y_t)^2: forward recursion on the marginals.
Dual categorical_chain(int T, const std::array<Dual, kK>& l0, const Matrix& L) {
  auto softmax = [](const std::array<Dual, kK>& l) {
    std::array<Dual, kK> p;
    Dual z = constant(0);
    for (int i = 0; i < kK; ++i) p[i] = dexp(l[i]), z = z + p[i];
    const Dual inv{1.0L / z.v, -z.d / (z.v * z.v)};
    for (auto& x : p) x = x * inv;
    return p;
  };
  const long double u[kK] = {0.2L, -0.5L, 1.1L};
  std::array<Dual, kK> q = softmax(l0);
  Dual e = constant(0);
  for (int t = 0; t < T; ++t) {
    if (t > 0) {
      std::array<Dual, kK> next{};
      for (int i = 0; i < kK; ++i) {
        const auto p = softmax(L[i]);
        for (int j = 0; j < kK; ++j) next[j] = next[j] + q[i] * p[j];
      }
      q = next;
    }
    for (int j = 0; j < kK; ++j) {
      const long double r = u[j] - target(t);
      e = e + q[j] * constant(r * r);
    }
  }
  return e;
}

}  // namespace

TEST_CASE("categorical chain of 100 choices (3 states): value and every gradient equal the forward recursion") {
  const int T = 100;
  scg::Graph g;
  const scg::Tensor l0v = scg::Tensor::from_rows({{0.3, -0.2, 0.1}});
  const scg::Tensor Lv = scg::Tensor::from_rows({{1.0, -0.5, 0.2}, {-0.3, 0.8, 0.0}, {0.4, 0.1, -0.9}});
  const scg::Var l0 = g.parameter("l0", l0v), L = g.parameter("L", Lv);
  const scg::Var u = g.constant(scg::Tensor::from_rows({{0.2}, {-0.5}, {1.1}}));
  scg::Var z = scg::categorical(l0), cost;
  for (int t = 0; t < T; ++t) {
    if (t > 0) z = scg::categorical(scg::matmul(z, L));
    const scg::Var c = scg::square(scg::matmul(z, u) - static_cast<double>(target(t)));
    cost = cost.empty() ? c : cost + c;
  }
  const scg::Var e = scg::expectation(cost);
  const auto gr = scg::grad(e, {l0, L});
  scg::Session s(g, 1);
  const auto& v = s.run({e, gr[0], gr[1]});
  auto at = [&](int which, int r, int c) {
    std::array<Dual, kK> a0;
    Matrix m;
    for (int j = 0; j < kK; ++j) a0[j] = {static_cast<long double>(l0v(0, j)), which == 0 && c == j ? 1.0L : 0.0L};
    for (int i = 0; i < kK; ++i)
      for (int j = 0; j < kK; ++j)
        m[i][j] = {static_cast<long double>(Lv(i, j)), which == 1 && r == i && c == j ? 1.0L : 0.0L};
    return categorical_chain(T, a0, m);
  };
  const Dual ref = at(0, 0, 0);
  CHECK(std::fabs(v[0].item() - static_cast<double>(ref.v)) <= 1e-10 * std::fabs(static_cast<double>(ref.v)));
  for (int j = 0; j < kK; ++j) CHECK(std::fabs(v[1](0, j) - static_cast<double>(at(0, 0, j).d)) <= 1e-10);
  for (int i = 0; i < kK; ++i)
    for (int j = 0; j < kK; ++j) CHECK(std::fabs(v[2](i, j) - static_cast<double>(at(1, i, j).d)) <= 1e-10);
}

TEST_CASE("a 64-row NOT gate is summed row by row (64 x 2 states, not 2^64)") {
  using namespace not_gate_exact;
  scg::Graph g;
  const scg::Var w0 = g.parameter("w0", kW0), b0 = g.parameter("b0", kB0);
  const scg::Var w1 = g.parameter("w1", kW1), b1 = g.parameter("b1", kB1);
  scg::Tensor xv(64, 1);
  for (int r = 0; r < 64; ++r) xv(r, 0) = r % 2;
  const scg::Var x = g.constant(xv);
  const scg::Var b = scg::bernoulli(w0 * x + b0);
  const scg::Var cost = scg::sum(scg::square((1.0 - x) - b * scg::sigmoid(w1 * x + b1)));
  const std::size_t before = g.size();
  const scg::Var e = scg::expectation(cost);
  MESSAGE("nodes added by expectation for 64 rows: " << g.size() - before);
  CHECK(g.size() - before < 200);
  const auto gr = scg::grad(e, {w0, b0, w1, b1});
  scg::Session s(g, 1);
  CHECK(s.run(e).item() == doctest::Approx(32 * not_gate_exact::cost()).epsilon(1e-12));
  const auto cf = not_gate_exact::grad();
  for (int i = 0; i < 4; ++i) CHECK(s.run(gr[static_cast<std::size_t>(i)]).item() == doctest::Approx(32 * cf[i]).epsilon(1e-12));
}

namespace {

/// Values of the targets and of their gradients (first and second order) with expectation by
/// elimination and by the joint enumeration, for comparison.
void check_against_joint(scg::Graph& g, const scg::Var& cost, const std::vector<scg::Var>& params) {
  scg::ExpectationOptions joint;
  joint.joint = true;
  const scg::Var ve = scg::expectation(cost), je = scg::expectation(cost, joint);
  const auto gv = scg::grad(ve, params), gj = scg::grad(je, params);
  // Second order: the gradient of the first parameter's gradient.
  const auto hv = scg::grad(gv[0], params), hj = scg::grad(gj[0], params);
  scg::Session s(g, 3);
  CHECK(s.run(ve).item() == doctest::Approx(s.run(je).item()).epsilon(1e-12));
  for (std::size_t i = 0; i < params.size(); ++i) {
    INFO("parameter " << i);
    const scg::Tensor a = s.run(gv[i]), b = s.run(gj[i]), ha = s.run(hv[i]), hb = s.run(hj[i]);
    for (Eigen::Index k = 0; k < a.shape().size(); ++k) {
      CHECK(a.data()[k] == doctest::Approx(b.data()[k]).epsilon(1e-11));
      CHECK(ha.data()[k] == doctest::Approx(hb.data()[k]).epsilon(1e-10));
    }
  }
}

}  // namespace

TEST_CASE("a tree and a loopy model: elimination agrees with the joint enumeration to second order") {
  SUBCASE("tree: a root, two children, four grandchildren; costs on pairs of leaves") {
    scg::Graph g;
    const scg::Var a = g.parameter("a", 0.2), w = g.parameter("w", -1.1), c = g.parameter("c", 0.4);
    const scg::Var root = scg::bernoulli(a);
    scg::Var cost;
    for (int i = 0; i < 2; ++i) {
      const scg::Var child = scg::bernoulli(c + w * root);
      const scg::Var l1 = scg::bernoulli(a - w * child), l2 = scg::bernoulli(c * child + 0.3);
      const scg::Var term = scg::square(l1 + l2 - 0.7 * child - 0.4 * i);
      cost = cost.empty() ? term : cost + term;
    }
    check_against_joint(g, cost, {a, w, c});
  }
  SUBCASE("diamond with a categorical: z1 -> z2, z1 -> z3, (z2, z3) -> z4, nonlinear cost") {
    scg::Graph g;
    const scg::Var a = g.parameter("a", 0.1), w = g.parameter("w", 0.9);
    const scg::Var L = g.parameter("L", scg::Tensor::from_rows({{0.2, -0.4, 0.7}}));
    const scg::Var z1 = scg::bernoulli(a);
    const scg::Var z2 = scg::categorical(L * (1.0 + w * z1));
    const scg::Var z3 = scg::bernoulli(a - w * z1);
    const scg::Var z4 = scg::bernoulli(w * scg::sum(z2 * L) + z3);
    const scg::Var cost = scg::exp(0.3 * z4 + z3) * scg::sum(z2 * L) + scg::square(z1 - z4);
    check_against_joint(g, cost, {a, w, L});
  }
  SUBCASE("the seed's NOT gate as scalar subgraphs, and 2 rows mixed by a sum inside a nonlinear cost") {
    using namespace not_gate_exact;
    scg::Graph g;
    const scg::Var w0 = g.parameter("w0", kW0), b0 = g.parameter("b0", kB0);
    const scg::Var x = g.constant(scg::Tensor::from_rows({{0}, {1}}));
    const scg::Var b = scg::bernoulli(w0 * x + b0);
    const scg::Var cost = scg::log(1.0 + scg::square(scg::sum(b * x) - 0.3 * scg::sum(b)));
    check_against_joint(g, cost, {w0, b0});
  }
}

TEST_CASE("a factor above max_states throws naming its choices; raising the bound makes it work") {
  scg::Graph g;
  const scg::Var a = g.parameter("a", 0.1);
  std::vector<scg::Var> zs;
  scg::Var s;
  for (int i = 0; i < 13; ++i) {
    zs.push_back(scg::bernoulli(a + 0.1 * i));
    s = s.empty() ? zs.back() : s + zs.back();
  }
  const scg::Var cost = scg::square(s - 6.0);  // one term over 13 choices: 8192 states
  try {
    scg::expectation(cost);
    FAIL("no error");
  } catch (const scg::Error& e) {
    const std::string m = e.what();
    CHECK(m.find("13 choices") != std::string::npos);
    CHECK(m.find("8192") != std::string::npos);
    CHECK(m.find("max_states") != std::string::npos);
    CHECK(m.find(zs[0].describe()) != std::string::npos);
  }
  scg::ExpectationOptions big;
  big.max_states = 8192;
  scg::ExpectationOptions joint = big;
  joint.joint = true;
  scg::Session sess(g, 1);
  CHECK(sess.run(scg::expectation(cost, big)).item() ==
        doctest::Approx(sess.run(scg::expectation(cost, joint)).item()).epsilon(1e-12));
  // A chain of 13 is not limited: its factors hold two choices each.
  scg::Var z = scg::bernoulli(a), chain_cost;
  for (int i = 0; i < 200; ++i) {
    if (i) z = scg::bernoulli(a * z - 0.2);
    chain_cost = chain_cost.empty() ? z : chain_cost + z;
  }
  CHECK(std::isfinite(sess.run(scg::expectation(chain_cost)).item()));
}

TEST_CASE("sample_continuous: exact over the discrete choices, sampled over the continuous ones") {
  // u ~ N(mu, 1); b ~ Bern(sig(w u)); cost = 3 (b - 0.3)^2 + 0.2 u^2. E[cost | u] = 3 (0.09 + 0.4 sig(w u))
  // + 0.2 u^2; E[cost] by quadrature (Gauss-Hermite-free: a fine trapezoid on +-10 sd).
  const double mu0 = 0.4, w0 = 1.3;
  auto exact = [](double mu, double w) {
    long double e = 0;
    const int n = 20001;
    const long double h = 20.0L / (n - 1);
    for (int i = 0; i < n; ++i) {
      const long double u = mu - 10 + i * h;
      const long double pdf = std::exp(-0.5L * (u - mu) * (u - mu)) / std::sqrt(2 * 3.14159265358979323846L);
      const long double s = 1 / (1 + std::exp(-w * u));
      e += (i == 0 || i == n - 1 ? 0.5L : 1.0L) * h * pdf * (3 * (0.09L + 0.4L * s) + 0.2L * u * u);
    }
    return static_cast<double>(e);
  };
  scg::Graph g;
  const scg::Var mu = g.parameter("mu", mu0), w = g.parameter("w", w0);
  const scg::Var u = scg::normal(mu, g.constant(1.0));
  const scg::Var b = scg::bernoulli(w * u);
  const scg::Var cost = 3.0 * scg::square(b - 0.3) + 0.2 * scg::square(u);
  CHECK_THROWS_WITH_AS(scg::expectation(cost), doctest::Contains("sample_continuous"), scg::Error);
  scg::ExpectationOptions o;
  o.sample_continuous = true;
  const scg::Var e = scg::expectation(cost, o);
  const auto gr = scg::grad(e, {mu, w});
  scg::Session s(g, 9);
  const auto mc = scg_test::sample_moments(s, {e, gr[0], gr[1]}, 40000);
  const double h = 1e-5;
  const std::vector<double> want{exact(mu0, w0), (exact(mu0 + h, w0) - exact(mu0 - h, w0)) / (2 * h),
                                 (exact(mu0, w0 + h) - exact(mu0, w0 - h)) / (2 * h)};
  scg_test::check_within(mc, want, 5.0);
  // Rao-Blackwellized: the estimate's variance is below the plain cost sample's.
  const auto plain = scg_test::sample_moments(s, {cost}, 40000);
  MESSAGE("variance of E[cost | u]: " << mc.var[0] << ", of the cost itself: " << plain.var[0]);
  CHECK(mc.var[0] < 0.8 * plain.var[0]);
}

TEST_CASE("sample_continuous: a continuous node below a discrete choice is sampled per state") {
  // b ~ Bern(sig(a)); x ~ N(2 b, 1); cost = x^2: E = p (4 + 1) + (1 - p) 1.
  scg::Graph g;
  const scg::Var a = g.parameter("a", 0.35);
  const scg::Var b = scg::bernoulli(a);
  const scg::Var x = scg::normal(2.0 * b, g.constant(1.0));
  scg::ExpectationOptions o;
  o.sample_continuous = true;
  const scg::Var e = scg::expectation(scg::square(x), o);
  const auto gr = scg::grad(e, {a});
  scg::Session s(g, 4);
  const double p = not_gate_exact::sig(0.35);
  scg_test::check_within(scg_test::sample_moments(s, {e, gr[0]}, 40000), {5 * p + (1 - p), 4 * p * (1 - p)}, 5.0);
  // Read by two cost terms, its samples could not stay consistent: refused.
  CHECK_THROWS_WITH_AS(scg::expectation(scg::square(x) + scg::exp(x * b), o), doctest::Contains("two parts"),
                       scg::Error);
}

TEST_CASE("a likelihood exp(sum of log-factors) is a product: an HMM's marginal likelihood equals the forward algorithm") {
  // z_1 ~ Cat(softmax(l0)), z_t ~ Cat(softmax(A[z_{t-1}])), y_t | z_t ~ Cat(softmax(B[z_t]));
  // p(y) = E_z[exp(sum_t log p(y_t | z_t))], by the forward algorithm in long double here.
  const int T = 60, M = 4;
  const scg::Tensor l0v = scg::Tensor::from_rows({{0.3, -0.2, 0.1}});
  const scg::Tensor Av = scg::Tensor::from_rows({{1.0, -0.5, 0.2}, {-0.3, 0.8, 0.0}, {0.4, 0.1, -0.9}});
  const scg::Tensor Bv = scg::Tensor::from_rows({{1.2, 0.1, -0.4, 0.0}, {-0.6, 0.9, 0.3, 0.2}, {0.0, -0.3, 0.5, 1.1}});
  std::vector<int> y(T);
  for (int t = 0; t < T; ++t) y[t] = (t * 7 + t / 3) % M;
  auto forward = [&](int which, int r, int c) {  // log p(y) and its derivative along one parameter
    auto param = [&](int w, int i, int j, double v) { return Dual{v, which == w && r == i && c == j ? 1.0L : 0.0L}; };
    auto softmax_row = [&](int w, const scg::Tensor& m, int i, int n) {
      std::vector<Dual> p(n);
      Dual z = constant(0);
      for (int j = 0; j < n; ++j) p[j] = dexp(param(w, i, j, m(i, j))), z = z + p[j];
      const Dual inv{1.0L / z.v, -z.d / (z.v * z.v)};
      for (auto& x : p) x = x * inv;
      return p;
    };
    std::vector<Dual> alpha = softmax_row(0, l0v, 0, kK);
    for (int t = 0; t < T; ++t) {
      if (t > 0) {
        std::vector<Dual> next(kK);
        for (int i = 0; i < kK; ++i) {
          const auto p = softmax_row(1, Av, i, kK);
          for (int j = 0; j < kK; ++j) next[j] = next[j] + alpha[i] * p[j];
        }
        alpha = next;
      }
      for (int j = 0; j < kK; ++j) alpha[j] = alpha[j] * softmax_row(2, Bv, j, M)[y[t]];
    }
    Dual lik = constant(0);
    for (const Dual& a : alpha) lik = lik + a;
    return Dual{std::log(lik.v), lik.d / lik.v};
  };
  scg::Graph g;
  const scg::Var l0 = g.parameter("l0", l0v), A = g.parameter("A", Av), B = g.parameter("B", Bv);
  const scg::Var logB = scg::log_softmax(B);
  scg::Var z = scg::categorical(l0), loglik;
  for (int t = 0; t < T; ++t) {
    if (t > 0) z = scg::categorical(scg::matmul(z, A));
    scg::Tensor onehot(M, 1);
    onehot(y[t], 0) = 1;
    const scg::Var e = scg::matmul(scg::matmul(z, logB), g.constant(onehot));  // log p(y_t | z_t)
    loglik = loglik.empty() ? e : loglik + e;
  }
  const scg::Var ll = scg::log(scg::expectation(scg::exp(loglik)));
  const auto gr = scg::grad(ll, {l0, A, B});
  scg::Session s(g, 1);
  const auto& v = s.run({ll, gr[0], gr[1], gr[2]});
  const Dual ref = forward(0, 0, 0);
  MESSAGE("HMM log-likelihood " << v[0].item() << ", forward algorithm " << static_cast<double>(ref.v));
  CHECK(std::fabs(v[0].item() - static_cast<double>(ref.v)) <= 1e-10 * std::fabs(static_cast<double>(ref.v)));
  for (int j = 0; j < kK; ++j) CHECK(std::fabs(v[1](0, j) - static_cast<double>(forward(0, 0, j).d)) <= 1e-10);
  for (int i = 0; i < kK; ++i)
    for (int j = 0; j < kK; ++j) CHECK(std::fabs(v[2](i, j) - static_cast<double>(forward(1, i, j).d)) <= 1e-10);
  for (int i = 0; i < kK; ++i)
    for (int j = 0; j < M; ++j) CHECK(std::fabs(v[3](i, j) - static_cast<double>(forward(2, i, j).d)) <= 1e-10);
}

TEST_CASE("a plated product: 32 independent rows of a two-choice model, likelihood against the joint enumeration") {
  scg::Graph g;
  const scg::Var a = g.parameter("a", 0.3), w = g.parameter("w", -0.8);
  scg::Tensor xv(32, 1);
  for (int r = 0; r < 32; ++r) xv(r, 0) = (r % 5) * 0.25 - 0.5;
  const scg::Var x = g.constant(xv);
  const scg::Var z1 = scg::bernoulli(a + x);
  const scg::Var z2 = scg::bernoulli(w * z1 - x);
  const scg::Var loglik = scg::sum(-scg::square(z1 + z2 - 1.0 - x) * 0.7);
  const scg::Var lik = scg::expectation(scg::exp(loglik));
  // Reference: per row, sum over the 4 states, multiplied over rows, by hand.
  auto reference = [&](double av, double wv) {
    long double l = 0;
    for (int r = 0; r < 32; ++r) {
      long double row = 0;
      for (int s1 = 0; s1 < 2; ++s1)
        for (int s2 = 0; s2 < 2; ++s2) {
          const long double p1 = 1 / (1 + std::exp(-(av + xv(r, 0)))), p2 = 1 / (1 + std::exp(-(wv * s1 - xv(r, 0))));
          const long double d = s1 + s2 - 1.0 - xv(r, 0);
          row += (s1 ? p1 : 1 - p1) * (s2 ? p2 : 1 - p2) * std::exp(-0.7L * d * d);
        }
      l += std::log(row);
    }
    return static_cast<double>(l);
  };
  const auto gr = scg::grad(scg::log(lik), {a, w});
  scg::Session s(g, 1);
  CHECK(std::log(s.run(lik).item()) == doctest::Approx(reference(0.3, -0.8)).epsilon(1e-12));
  const double h = 1e-6;
  CHECK(s.run(gr[0]).item() == doctest::Approx((reference(0.3 + h, -0.8) - reference(0.3 - h, -0.8)) / (2 * h)).epsilon(1e-7));
  CHECK(s.run(gr[1]).item() == doctest::Approx((reference(0.3, -0.8 + h) - reference(0.3, -0.8 - h)) / (2 * h)).epsilon(1e-7));
}

TEST_CASE("cliques: two and three choices that all share factors (Boost's ordering needed a padding vertex)") {
  // Under ASan, minimum_degree_ordering on a complete graph read out of bounds; a padding
  // vertex avoids it. The values must still match the joint enumeration.
  for (int n : {2, 3}) {
    scg::Graph g;
    const scg::Var a = g.parameter("a", 0.4);
    std::vector<scg::Var> zs{scg::bernoulli(a)};
    for (int i = 1; i < n; ++i) {
      scg::Var l = a * static_cast<double>(i);
      for (const scg::Var& z : zs) l = l + 0.5 * z;
      zs.push_back(scg::bernoulli(l));
    }
    scg::Var s = zs[0];
    for (int i = 1; i < n; ++i) s = s + zs[static_cast<std::size_t>(i)];
    check_against_joint(g, scg::square(s - 1.2), {a});
  }
}
