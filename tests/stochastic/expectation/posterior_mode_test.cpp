// posterior_mode against brute-force argmax over every joint state in long double: a global
// bernoulli above per-row bernoulli and categorical choices (432 states), an HMM chain
// (Viterbi, 729 states), 40 plated rows (closed form per row), ties, random trees with a loop
// (categoricals of 2 to 8 states; their marginals checked too) and loopy models, the mode fed
// back to the choices, and every error.
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "../mc.hpp"
#include "posterior_model.hpp"

namespace {
using ld = long double;
using posterior_model::build;
using posterior_model::Built;
using posterior_model::log_softmax;
using posterior_model::matrix_of;
using posterior_model::sigl;

struct Best {
  int a = 0;
  std::array<int, 3> b{}, c{};
  ld value = -INFINITY;
};

Best brute(double ta, double scale) {
  Best best;
  posterior_model::for_each_state(ta, scale, [&](const posterior_model::State& st, ld lj) {
    if (lj > best.value) best = {st.a, st.b, st.c, lj};
  });
  return best;
}

scg::Tensor one_hot(int rows, int k, const std::vector<int>& states) {
  scg::Tensor t(rows, k);
  for (int r = 0; r < rows; ++r) t(r, states[static_cast<std::size_t>(r)]) = 1.0;
  return t;
}


// A random model of n categorical choices (k_t states each, 1 x k_t): z_t's parent is a random
// earlier choice (none for t = 0 or with probability 1/4), z_t ~ Cat(softmax(init_t)) or
// Cat(softmax(z_parent A_t)); log_weight = sum_t <z_t, obs_t> + z_i B z_j^T for one random
// pair (i, j) (a loop where i, j are not parent and child).
struct Random {
  std::vector<int> k, parent;
  std::vector<std::vector<std::vector<double>>> table;  // per t: rows by parent state
  std::vector<std::vector<double>> obs;
  int i = 0, j = 1;
  std::vector<std::vector<double>> pair;
};

Random random_model(std::mt19937& rng, int n) {
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::uniform_int_distribution<int> k2(2, 8);  // categoricals of 2 to 8 states
  Random m;
  for (int t = 0; t < n; ++t) {
    m.k.push_back(k2(rng));
    m.parent.push_back(t == 0 || rng() % 4 == 0 ? -1 : static_cast<int>(rng() % t));
    const int rows = m.parent[t] < 0 ? 1 : m.k[m.parent[t]];
    m.table.emplace_back(rows, std::vector<double>(m.k[t]));
    for (auto& row : m.table.back())
      for (double& x : row) x = u(rng);
    m.obs.emplace_back(m.k[t]);
    for (double& x : m.obs.back()) x = u(rng);
  }
  m.i = static_cast<int>(rng() % n);
  m.j = static_cast<int>((m.i + 1 + rng() % (n - 1)) % n);
  m.pair.assign(m.k[m.i], std::vector<double>(m.k[m.j]));
  for (auto& row : m.pair)
    for (double& x : row) x = u(rng);
  return m;
}


struct RandomBuilt {
  std::vector<scg::Var> z;
  scg::Var log_weight;
};

RandomBuilt build_random(scg::Graph& g, const Random& m) {
  RandomBuilt b;
  for (std::size_t t = 0; t < m.k.size(); ++t) {
    const scg::Var table = g.constant(matrix_of(m.table[t]));
    b.z.push_back(scg::categorical(m.parent[t] < 0 ? table : scg::matmul(b.z[m.parent[t]], table)));
    const scg::Var term = scg::sum(b.z[t] * g.constant(matrix_of({m.obs[t]})));
    b.log_weight = b.log_weight.empty() ? term : b.log_weight + term;
  }
  const scg::Var zi = b.z[m.i], zj = b.z[m.j];
  b.log_weight = b.log_weight + scg::sum(scg::matmul(zi, g.constant(matrix_of(m.pair))) * zj);
  return b;
}

// The joint argmax (and its value); `marginal_argmax`: each choice's most probable state alone;
// `marginals`: each choice's posterior probabilities.
std::vector<int> brute_random(const Random& m, ld& best_value,
                              std::vector<int>* marginal_argmax = nullptr,
                              std::vector<std::vector<ld>>* marginals = nullptr) {
  const std::size_t n = m.k.size();
  int total = 1;
  for (int k : m.k) total *= k;
  std::vector<int> best, z(n);
  std::vector<std::vector<ld>> marg(n, std::vector<ld>(8, 0.0L));
  best_value = -INFINITY;
  for (int code = 0; code < total; ++code) {
    for (std::size_t t = 0, c = code; t < n; c /= m.k[t], ++t) z[t] = static_cast<int>(c % m.k[t]);
    ld v = m.pair[z[m.i]][z[m.j]];
    for (std::size_t t = 0; t < n; ++t) {
      const auto& row = m.table[t][m.parent[t] < 0 ? 0 : z[m.parent[t]]];
      v += log_softmax(row, z[t]) + m.obs[t][z[t]];
    }
    if (v > best_value) best_value = v, best = z;
    for (std::size_t t = 0; t < n; ++t) marg[t][z[t]] += std::exp(v);
  }
  if (marginals) {
    *marginals = marg;
    for (auto& row : *marginals) {
      ld z = 0;
      for (ld x : row) z += x;
      for (ld& x : row) x /= z;
    }
  }
  if (marginal_argmax) {
    marginal_argmax->assign(n, 0);
    for (std::size_t t = 0; t < n; ++t)
      for (int k = 1; k < m.k[t]; ++k)
        if (marg[t][k] > marg[t][(*marginal_argmax)[t]]) (*marginal_argmax)[t] = k;
  }
  return best;
}
}  // namespace

TEST_CASE("posterior_mode equals the brute-force joint argmax (global above per-row choices)") {
  for (double scale : {1.0, 3.0, 0.2}) {
    scg::Graph g;
    const Built m = build(g, 0.3, scale);
    const auto mode = scg::posterior_mode(m.log_weight, {m.a, m.b, m.c});
    REQUIRE(mode.size() == 3);
    CHECK(mode[0].shape() == m.a.shape());
    CHECK(mode[1].shape() == m.b.shape());
    CHECK(mode[2].shape() == m.c.shape());
    scg::Session s(g, 1);
    const auto v = s.run(mode);
    const Best ref = brute(0.3, scale);
    CHECK(v[0].item() == ref.a);
    scg::Tensor b(3, 1);
    for (int r = 0; r < 3; ++r) b(r, 0) = ref.b[r];
    CHECK(v[1] == b);
    CHECK(v[2] == one_hot(3, 3, {ref.c[0], ref.c[1], ref.c[2]}));
    // A subset gives the same states for its choices (still the joint mode).
    CHECK(s.run(scg::posterior_mode(m.log_weight, {m.c})[0]) == v[2]);
  }
}

TEST_CASE("posterior_mode on an HMM chain is the Viterbi path") {
  const int T = posterior_model::kT;
  scg::Graph g;
  const auto [z, lw] = posterior_model::build_hmm(g);
  const auto mode = scg::posterior_mode(lw, z);
  scg::Session s(g, 1);
  const auto v = s.run(mode);
  std::vector<int> best;
  ld best_value = -INFINITY;
  posterior_model::for_each_path([&](const std::vector<int>& path, ld lp) {
    if (lp > best_value) best_value = lp, best = path;
  });
  for (int t = 0; t < T; ++t) CHECK(v[t] == one_hot(1, 3, {best[t]}));
}

TEST_CASE("posterior_mode on independent plated rows: each row's argmax") {
  const int R = 40;
  scg::Graph g;
  scg::Tensor l(R, 4), y(R, 4);
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < 4; ++k)
      l(r, k) = std::sin(1.3 * r + k), y(r, k) = -std::fabs(std::cos(0.7 * r * k + 1.0));
  const scg::Var c = scg::categorical(g.parameter("l", l));
  const auto mode = scg::posterior_mode(scg::sum(c * g.constant(y)), {c});
  scg::Session s(g, 1);
  std::vector<int> best(R);
  for (int r = 0; r < R; ++r)
    for (int k = 1; k < 4; ++k)
      if (static_cast<ld>(l(r, k)) + y(r, k) > static_cast<ld>(l(r, best[r])) + y(r, best[r]))
        best[r] = k;
  CHECK(s.run(mode[0]) == one_hot(R, 4, best));
}

TEST_CASE("posterior_mode on plated bernoulli rows of 3 and of 10 elements: each element's sign") {
  // A row of c bernoulli elements is one variable of 2^c states: 8 (decoded from a table of a
  // row's states) and 1024 (decoded row by row). 5 rows: a block of four and one more. Element
  // (r, j) is 1 in the mode iff log sigmoid(l) + y > log sigmoid(-l), that is l + y > 0.
  for (const int cols : {3, 10}) {
    CAPTURE(cols);
    const int R = 5;
    scg::Graph g;
    scg::Tensor l(R, cols), y(R, cols), want(R, cols);
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < cols; ++j) {
        l(r, j) = std::sin(1.7 * r + 0.9 * j + 0.3), y(r, j) = std::cos(0.4 * r * j + 2.0);
        want(r, j) = static_cast<ld>(l(r, j)) + y(r, j) > 0 ? 1.0 : 0.0;
      }
    const scg::Var z = scg::bernoulli(g.parameter("l", l));
    const auto mode = scg::posterior_mode(scg::sum(z * g.constant(y)), {z});
    scg::Session s(g, 1);
    const scg::Tensor got = s.run(mode[0]);
    CHECK(got == want);
    CHECK(got.matrix().sum() > 0);  // some elements on, some off: the test can fail
    CHECK(got.matrix().sum() < R * cols);
  }
}

TEST_CASE("posterior_mode resolves ties to the lowest state index") {
  scg::Graph g;
  const scg::Var a = scg::bernoulli(g.constant(0.0)), b = scg::bernoulli(g.constant(0.0));
  const scg::Var c = scg::categorical(g.constant(scg::Tensor(1, 3, 0.0)));
  const scg::Var d = scg::categorical(g.constant(scg::Tensor(2, 3, 0.0)));
  // (a, b) = (0, 0) and (1, 1) tie; c's states 1 and 2 tie above 0; d's rows are flat.
  const scg::Var lw = a * b + (1.0 - a) * (1.0 - b) +
                      scg::sum(c * g.constant(scg::Tensor::from_rows({{0.0, 1.0, 1.0}}))) +
                      scg::sum(d * g.constant(scg::Tensor(2, 3, 0.0)));
  const auto mode = scg::posterior_mode(lw, {a, b, c, d});
  scg::Session s(g, 1);
  const auto v = s.run(mode);
  CHECK(v[0].item() == 0.0);
  CHECK(v[1].item() == 0.0);
  CHECK(v[2] == one_hot(1, 3, {1}));
  CHECK(v[3] == one_hot(2, 3, {0, 0}));
}

TEST_CASE("posterior_mode on random trees with a loop and on a cycle of bernoullis") {
  std::mt19937 rng(20261202);
  int not_marginal = 0;  // trials whose joint mode is not the choices' marginal argmaxes
  for (int trial = 0; trial < 12; ++trial) {
    const Random m = random_model(rng, 3 + trial % 4);
    scg::Graph g;
    const RandomBuilt b = build_random(g, m);
    const auto mode = scg::posterior_mode(b.log_weight, b.z);
    const auto marg = scg::posterior_marginals(b.log_weight, b.z);
    scg::Session s(g, 1);
    const auto v = s.run(mode);
    const auto pm = s.run(marg);
    ld best_value = 0;
    std::vector<int> marginal;
    std::vector<std::vector<ld>> exact;
    const std::vector<int> best = brute_random(m, best_value, &marginal, &exact);
    not_marginal += best != marginal;
    for (std::size_t t = 0; t < m.k.size(); ++t) {
      CHECK(v[t] == one_hot(1, m.k[t], {best[t]}));
      for (int k = 0; k < m.k[t]; ++k)  // the marginals too, on the same random models
        CHECK(pm[t](0, k) == doctest::Approx(static_cast<double>(exact[t][k])).epsilon(1e-12));
    }
  }
  CHECK(not_marginal > 0);
  for (int trial = 0; trial < 6; ++trial) {
    std::uniform_real_distribution<double> u(-2.0, 2.0);
    std::array<double, 4> theta{}, w{}, h{};
    for (int i = 0; i < 4; ++i) theta[i] = u(rng), w[i] = u(rng), h[i] = u(rng);
    scg::Graph g;
    std::vector<scg::Var> x;
    for (int i = 0; i < 4; ++i) x.push_back(scg::bernoulli(g.constant(theta[i])));
    scg::Var lw = h[0] * x[0];
    for (int i = 1; i < 4; ++i) lw = lw + h[i] * x[i];
    for (int i = 0; i < 4; ++i) lw = lw + w[i] * x[i] * x[(i + 1) % 4];
    const auto mode = scg::posterior_mode(lw, x);
    scg::Session s(g, 1);
    const auto v = s.run(mode);
    int best = 0;
    ld best_value = -INFINITY;
    for (int bits = 0; bits < 16; ++bits) {
      ld val = 0;
      for (int i = 0; i < 4; ++i) {
        const int xi = (bits >> i) & 1, xj = (bits >> ((i + 1) % 4)) & 1;
        val += (xi ? std::log(sigl(theta[i])) : std::log(1 - sigl(theta[i]))) + h[i] * xi +
               w[i] * xi * xj;
      }
      if (val > best_value) best_value = val, best = bits;
    }
    for (int i = 0; i < 4; ++i) CHECK(v[i].item() == ((best >> i) & 1));
  }
}

TEST_CASE("posterior_mode fed back to the choices gives the brute-force largest log-weight") {
  scg::Graph g;
  const Built m = build(g, 0.3, 1.0);
  const auto mode = scg::posterior_mode(m.log_weight, {m.a, m.b, m.c});
  const scg::Var joint = m.log_weight + scg::sum(scg::log_prob(m.a)) +
                         scg::sum(scg::log_prob(m.b)) + scg::sum(scg::log_prob(m.c));
  scg::Session s(g, 1);
  const std::vector<scg::Tensor> v = s.run(mode);
  const double at_mode = s.run(joint, {{m.a, v[0]}, {m.b, v[1]}, {m.c, v[2]}}).item();
  CHECK(at_mode == doctest::Approx(static_cast<double>(brute(0.3, 1.0).value)).epsilon(1e-12));
  // The random models too.
  std::mt19937 rng(7);
  for (int trial = 0; trial < 4; ++trial) {
    const Random r = random_model(rng, 5);
    scg::Graph h;
    const RandomBuilt b = build_random(h, r);
    const auto rm = scg::posterior_mode(b.log_weight, b.z);
    scg::Var lj = b.log_weight;
    for (const scg::Var& z : b.z) lj = lj + scg::sum(scg::log_prob(z));
    scg::Session sh(h, 1);
    const std::vector<scg::Tensor> vals = sh.run(rm);
    std::vector<scg::Feed> feeds;
    for (std::size_t t = 0; t < b.z.size(); ++t) feeds.emplace_back(b.z[t], vals[t]);
    ld best_value = 0;
    brute_random(r, best_value);
    CHECK(sh.run(lj, feeds).item() ==
          doctest::Approx(static_cast<double>(best_value)).epsilon(1e-12));
  }
}

TEST_CASE("posterior_mode refuses what it cannot answer, naming it") {
  scg::Graph g, other;
  const Built m = build(g, 0.3, 1.0);
  CHECK_THROWS_WITH_AS(scg::posterior_mode(m.b, {m.a}), doctest::Contains("1x1"), scg::Error);
  CHECK_THROWS_AS(scg::posterior_mode(scg::Var(), {m.a}), scg::Error);
  const scg::Var x = scg::normal(g.constant(0.0), g.constant(1.0));
  CHECK_THROWS_WITH_AS(scg::posterior_mode(m.log_weight, {x}),
                       doctest::Contains("not a bernoulli or categorical"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::posterior_mode(m.log_weight, {m.log_weight}),
                       doctest::Contains("not a bernoulli or categorical"), scg::Error);
  const scg::Var foreign = scg::bernoulli(other.parameter("t", 0.0));
  CHECK_THROWS_AS(scg::posterior_mode(m.log_weight, {foreign}), scg::Error);
  CHECK_THROWS_WITH_AS(scg::posterior_mode(m.log_weight, {m.a, m.a}), doctest::Contains("twice"),
                       scg::Error);
  // A continuous ancestor, unless sample_continuous (then the mode given that run's sample).
  const scg::Var lw_cont = m.log_weight + x * m.a;
  CHECK_THROWS_WITH_AS(scg::posterior_mode(lw_cont, {m.a}), doctest::Contains(x.describe().c_str()),
                       scg::Error);
  scg::ExpectationOptions sc;
  sc.sample_continuous = true;
  const auto cond = scg::posterior_mode(lw_cont, {m.a}, sc);
  scg::Session s(g, 4);
  const double a = s.run(cond[0]).item();
  CHECK((a == 0.0 || a == 1.0));
  const scg::Var bb = scg::black_box(m.log_weight, {m.a});
  CHECK_THROWS_WITH_AS(scg::posterior_mode(bb, {m.a}), doctest::Contains("black_box"), scg::Error);
  scg::ExpectationOptions tiny;
  tiny.max_states = 2;
  CHECK_THROWS_WITH_AS(scg::posterior_mode(m.log_weight, {m.a}, tiny),
                       doctest::Contains("max_states"), scg::Error);
  scg::ExpectationOptions bad;
  bad.max_states = 0.5;
  CHECK_THROWS_WITH_AS(scg::posterior_mode(m.log_weight, {m.a}, bad),
                       doctest::Contains("max_states"), scg::Error);
}
