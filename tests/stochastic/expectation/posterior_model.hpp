#pragma once
// The model the posterior tests share, and its brute-force enumeration in long double:
// a ~ Bern(sig(ta)); b_r ~ Bern(sig(tb_r + 1.2 a)), r < 3; c_r ~ Cat(softmax(L_r + 0.8 b_r v));
// log_weight = scale sum_r Y[r][c_r] + 0.5 a (b_0 + b_1 + b_2). A global choice above per-row
// ones: 2 x 8 x 27 = 432 joint states.
#include <array>
#include <cmath>
#include <vector>
#include <scg/scg.hpp>

namespace posterior_model {
using ld = long double;
inline ld sigl(ld x) { return 1.0L / (1.0L + std::exp(-x)); }

constexpr std::array<double, 3> kTb{-0.4, 0.9, 0.1}, kV{1.0, -0.5, 0.3};
constexpr std::array<std::array<double, 3>, 3> kL{
    {{0.2, -0.3, 0.5}, {-1.0, 0.4, 0.0}, {0.3, 0.3, -0.6}}};
constexpr std::array<std::array<double, 3>, 3> kY{
    {{-1.2, -0.1, -2.0}, {-0.5, -1.5, -0.3}, {-2.2, -0.4, -0.9}}};

struct State {
  int a = 0;
  std::array<int, 3> b{}, c{};
};

/// visit(state, log p(state) + log_weight(state)) for every joint state.
template <class Visit>
void for_each_state(double ta, double scale, Visit&& visit) {
  for (int a = 0; a < 2; ++a)
    for (int bits = 0; bits < 8; ++bits)
      for (int cs = 0; cs < 27; ++cs) {
        State st;
        st.a = a;
        ld lj = a ? std::log(sigl(ta)) : std::log(1 - sigl(ta));
        int sum_b = 0;
        for (int r = 0, code = cs; r < 3; ++r, code /= 3) {
          const int b = (bits >> r) & 1, c = code % 3;
          st.b[r] = b, st.c[r] = c, sum_b += b;
          const ld pb1 = sigl(kTb[r] + 1.2L * a);
          lj += std::log(b ? pb1 : 1 - pb1);
          ld norm = 0;
          for (int k = 0; k < 3; ++k) norm += std::exp(kL[r][k] + 0.8L * b * kV[k]);
          lj += kL[r][c] + 0.8L * b * kV[c] - std::log(norm) + scale * kY[r][c];
        }
        visit(st, lj + 0.5L * a * sum_b);
      }
}

struct Built {
  scg::Var ta, a, b, c, log_weight;
};

/// The model as a graph; ta is a parameter.
inline Built build(scg::Graph& g, double ta, double scale = 1.0) {
  Built m;
  m.ta = g.parameter("ta", ta);
  m.a = scg::bernoulli(m.ta);
  auto tb = g.constant(scg::Tensor::from_rows({{kTb[0]}, {kTb[1]}, {kTb[2]}}));
  m.b = scg::bernoulli(tb + 1.2 * m.a);
  scg::Tensor l(3, 3), y(3, 3), v(1, 3);
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k) l(r, k) = kL[r][k], y(r, k) = scale * kY[r][k], v(0, k) = kV[k];
  m.c = scg::categorical(g.constant(l) + 0.8 * scg::matmul(m.b, g.constant(v)));
  m.log_weight = scg::sum(m.c * g.constant(y)) + 0.5 * m.a * scg::sum(m.b);
  return m;
}

// An HMM chain: z_0 ~ Cat(softmax(init)), z_t ~ Cat(softmax(trans[z_{t-1}])), log_weight =
// sum_t obs[t][z_t]; T = 6 steps of 3 states, 729 paths.
constexpr int kT = 6;
inline const std::vector<std::vector<double>> kTrans{
    {0.5, -0.2, -1.0}, {0.1, 0.8, -0.3}, {-0.6, 0.0, 0.9}};
inline const std::vector<double> kInit{0.2, -0.1, 0.4};
inline const std::vector<std::vector<double>> kObs{{-0.2, -1.9, -1.1}, {-1.4, -0.3, -2.0},
                                                   {-0.7, -0.8, -0.6}, {-2.1, -0.2, -1.0},
                                                   {-0.4, -1.2, -0.9}, {-1.0, -1.0, -0.1}};

inline scg::Tensor matrix_of(const std::vector<std::vector<double>>& rows) {
  scg::Tensor t(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows[0].size()));
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < rows[r].size(); ++c)
      t(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = rows[r][c];
  return t;
}

inline ld log_softmax(const std::vector<double>& row, int k) {
  ld n = 0;
  for (double x : row) n += std::exp(static_cast<ld>(x));
  return row[static_cast<std::size_t>(k)] - std::log(n);
}

struct Hmm {
  std::vector<scg::Var> z;
  scg::Var log_weight;
};

inline Hmm build_hmm(scg::Graph& g) {
  Hmm h;
  const scg::Var A = g.constant(matrix_of(kTrans));
  h.z.push_back(scg::categorical(g.constant(matrix_of({kInit}))));
  for (int t = 1; t < kT; ++t) h.z.push_back(scg::categorical(scg::matmul(h.z.back(), A)));
  for (int t = 0; t < kT; ++t) {
    const scg::Var term = scg::sum(h.z[t] * g.constant(matrix_of({kObs[t]})));
    h.log_weight = h.log_weight.empty() ? term : h.log_weight + term;
  }
  return h;
}

/// visit(path, log p(path) + log_weight(path)) for every path.
template <class Visit>
void for_each_path(Visit&& visit) {
  for (int code = 0; code < 729; ++code) {
    std::vector<int> path(kT);
    for (int t = 0, c = code; t < kT; ++t, c /= 3) path[t] = c % 3;
    ld lp = log_softmax(kInit, path[0]) + kObs[0][path[0]];
    for (int t = 1; t < kT; ++t) lp += log_softmax(kTrans[path[t - 1]], path[t]) + kObs[t][path[t]];
    visit(path, lp);
  }
}
}  // namespace posterior_model
