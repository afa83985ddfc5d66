#pragma once
// The hidden Markov model of examples/hmm.cpp: its parameters, data drawn from it (with the
// hidden states), the scg graph of its exact log-likelihood (with its hidden choices, for
// decoding), and the hand-written algorithms the graph and its posterior queries are checked
// and timed against: scaled forward-backward (log-likelihood, gradient, posterior marginals),
// Viterbi in log space, and forward-filter backward-sample.
//
//   z_1 ~ Cat(softmax(l0)),  z_t ~ Cat(softmax(A[z_{t-1}])),  y_t ~ Cat(softmax(B[z_t]))
//   loglik = sum_t sum(log_softmax(B)[z_t, y_t]),   log p(y) = log expectation(exp(loglik)).
#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <scg/scg.hpp>
#include <utility>
#include <vector>

namespace hmm {

constexpr int K = 4, M = 6;  // hidden states, symbols

/// softmax of row r of m.
inline std::vector<double> softmax_row(const scg::Tensor& m, Eigen::Index r) {
  std::vector<double> p(static_cast<std::size_t>(m.cols()));
  double mx = m(r, 0), z = 0;
  for (Eigen::Index c = 1; c < m.cols(); ++c) mx = std::max(mx, m(r, c));
  for (Eigen::Index c = 0; c < m.cols(); ++c) z += p[c] = std::exp(m(r, c) - mx);
  for (double& x : p) x /= z;
  return p;
}

/// log_softmax of row r of m.
inline std::vector<double> log_softmax_row(const scg::Tensor& m, Eigen::Index r) {
  std::vector<double> lp(static_cast<std::size_t>(m.cols()));
  double mx = m(r, 0), z = 0;
  for (Eigen::Index c = 1; c < m.cols(); ++c) mx = std::max(mx, m(r, c));
  for (Eigen::Index c = 0; c < m.cols(); ++c) z += std::exp(m(r, c) - mx);
  for (Eigen::Index c = 0; c < m.cols(); ++c) lp[c] = m(r, c) - mx - std::log(z);
  return lp;
}

/// The logits: initial l0 (1 x K), transitions A (K x K), emissions B (K x M).
struct HmmParams {
  scg::Tensor l0{1, K}, A{K, K}, B{K, M};
};

/// The probabilities the logits give: pi, P[i][j] = p(z' = j | z = i), E[i][m] = p(y = m | z = i).
struct Probabilities {
  std::vector<double> pi;
  std::vector<std::vector<double>> P, E;
  explicit Probabilities(const HmmParams& p) : pi(softmax_row(p.l0, 0)), P(K), E(K) {
    for (int i = 0; i < K; ++i) P[i] = softmax_row(p.A, i), E[i] = softmax_row(p.B, i);
  }
};

/// Their logarithms (log_softmax of the logits), for the Viterbi algorithm in log space.
struct LogProbabilities {
  std::vector<double> pi;
  std::vector<std::vector<double>> P, E;
  explicit LogProbabilities(const HmmParams& p) : pi(log_softmax_row(p.l0, 0)), P(K), E(K) {
    for (int i = 0; i < K; ++i) P[i] = log_softmax_row(p.A, i), E[i] = log_softmax_row(p.B, i);
  }
};

using Alphas = std::vector<std::array<double, K>>;  // [step][state]
using Paths = std::vector<std::vector<int>>;        // hidden states: [sequence][step]

/// Scaled forward pass over one sequence: alpha[t] = p(z_t | y_1..t), scale[t] =
/// p(y_t | y_1..t-1); adds log p(y) (the sum of the logs of the scales) to ll.
inline void forward(const Probabilities& q, const std::vector<int>& y, Alphas& alpha,
                    std::vector<double>& scale, double& ll) {
  const int T = static_cast<int>(y.size());
  for (int t = 0; t < T; ++t) {
    double s = 0;
    for (int j = 0; j < K; ++j) {
      double a = 0;
      if (t == 0)
        a = q.pi[j];
      else
        for (int i = 0; i < K; ++i) a += alpha[t - 1][i] * q.P[i][j];
      alpha[t][j] = a * q.E[j][y[t]];
      s += alpha[t][j];
    }
    for (int j = 0; j < K; ++j) alpha[t][j] /= s;
    scale[t] = s;
    ll += std::log(s);
  }
}

/// Scaled backward pass over one sequence: beta[t][i] = p(y_t+1..T | z_t = i) / p(y_t+1..T |
/// y_1..t), so that alpha[t][i] beta[t][i] = p(z_t = i | y).
inline Alphas backward(const Probabilities& q, const std::vector<int>& y,
                       const std::vector<double>& scale) {
  const int T = static_cast<int>(y.size());
  Alphas beta(T);
  for (int j = 0; j < K; ++j) beta[T - 1][j] = 1.0;
  for (int t = T - 2; t >= 0; --t)
    for (int i = 0; i < K; ++i) {
      double b = 0;
      for (int j = 0; j < K; ++j) b += q.P[i][j] * q.E[j][y[t + 1]] * beta[t + 1][j];
      beta[t][i] = b / scale[t + 1];
    }
  return beta;
}

/// The backward pass over one sequence; adds its gradient of log p(y) with respect to the
/// logits (expected counts minus expected normalizers) to grad.
inline void add_gradient(const Probabilities& q, const std::vector<int>& y, const Alphas& alpha,
                         const std::vector<double>& scale, HmmParams& grad) {
  const int T = static_cast<int>(y.size());
  const Alphas beta = backward(q, y, scale);
  for (int t = 0; t < T; ++t) {
    for (int i = 0; i < K; ++i) {
      const double gamma = alpha[t][i] * beta[t][i];
      if (t == 0) grad.l0(0, i) += gamma - q.pi[i];
      grad.B(i, y[t]) += gamma;
      for (int m = 0; m < M; ++m) grad.B(i, m) -= gamma * q.E[i][m];
      if (t + 1 < T) {
        for (int j = 0; j < K; ++j) {
          const double xi =
              alpha[t][i] * q.P[i][j] * q.E[j][y[t + 1]] * beta[t + 1][j] / scale[t + 1];
          grad.A(i, j) += xi - gamma * q.P[i][j];
        }
      }
    }
  }
}

/// Hand-written scaled forward-backward: sum over sequences of log p(y), and (when grad is
/// given) its gradient with respect to the logits.
inline double forward_backward(const HmmParams& p, const std::vector<std::vector<int>>& ys,
                               HmmParams* grad) {
  const Probabilities q(p);
  if (grad) grad->l0.matrix().setZero(), grad->A.matrix().setZero(), grad->B.matrix().setZero();
  double ll = 0;
  for (const std::vector<int>& y : ys) {
    Alphas alpha(y.size());
    std::vector<double> scale(y.size());
    forward(q, y, alpha, scale, ll);
    if (grad) add_gradient(q, y, alpha, scale, *grad);
  }
  return ll;
}

/// Hand-written posterior marginals: p(z_t = k | y) = alpha[t][k] beta[t][k], [sequence][step][k].
inline std::vector<Alphas> fb_marginals(const HmmParams& p,
                                        const std::vector<std::vector<int>>& ys) {
  const Probabilities q(p);
  std::vector<Alphas> gamma;
  double ll = 0;
  for (const std::vector<int>& y : ys) {
    Alphas alpha(y.size());
    std::vector<double> scale(y.size());
    forward(q, y, alpha, scale, ll);
    const Alphas beta = backward(q, y, scale);
    for (std::size_t t = 0; t < y.size(); ++t)
      for (int k = 0; k < K; ++k) alpha[t][k] *= beta[t][k];
    gamma.push_back(std::move(alpha));
  }
  return gamma;
}

/// Hand-written Viterbi in log space: per sequence the jointly most probable hidden path given
/// y. delta[t][j] = max over z_1..t-1 of log p(z_1..t-1, z_t = j, y_1..t); the traceback takes
/// at each step the lowest state index among exact ties (strict >), as scg::posterior_mode.
inline Paths viterbi(const HmmParams& p, const std::vector<std::vector<int>>& ys) {
  const LogProbabilities q(p);
  Paths paths;
  for (const std::vector<int>& y : ys) {
    const int T = static_cast<int>(y.size());
    Alphas delta(T);
    std::vector<std::array<int, K>> from(T);
    for (int t = 0; t < T; ++t)
      for (int j = 0; j < K; ++j) {
        double best = t == 0 ? q.pi[j] : -INFINITY;
        for (int i = 0; t > 0 && i < K; ++i)
          if (delta[t - 1][i] + q.P[i][j] > best)
            best = delta[t - 1][i] + q.P[i][j], from[t][j] = i;
        delta[t][j] = best + q.E[j][y[t]];
      }
    std::vector<int> path(T, 0);
    for (int j = 1; j < K; ++j)
      if (delta[T - 1][j] > delta[T - 1][path[T - 1]]) path[T - 1] = j;
    for (int t = T - 1; t > 0; --t) path[t - 1] = from[t][path[t]];
    paths.push_back(std::move(path));
  }
  return paths;
}

/// log p(y, z) of one sequence at the hidden path z.
inline double log_joint(const LogProbabilities& q, const std::vector<int>& y,
                        const std::vector<int>& z) {
  double lp = q.pi[z[0]];
  for (std::size_t t = 0; t < y.size(); ++t)
    lp += (t ? q.P[z[t - 1]][z[t]] : 0.0) + q.E[z[t]][y[t]];
  return lp;
}

/// The state k at which the running sum of w first exceeds u sum(w) (u uniform on [0, 1)).
inline int draw_state(const std::array<double, K>& w, double u) {
  double total = 0, c = 0;
  for (double x : w) total += x;
  for (int k = 0; k + 1 < K; ++k)
    if (u * total < (c += w[k])) return k;
  return K - 1;
}

/// Hand-written forward-filter backward-sample: one exact joint draw of each sequence's hidden
/// path given y. The scaled forward filter, then z_T ~ alpha[T] and z_t ~ alpha[t][i] P[i][z_t+1].
inline Paths ffbs(const HmmParams& p, const std::vector<std::vector<int>>& ys,
                  std::mt19937_64& rng) {
  const Probabilities q(p);
  std::uniform_real_distribution<double> uniform;
  Paths paths;
  double ll = 0;
  for (const std::vector<int>& y : ys) {
    const int T = static_cast<int>(y.size());
    Alphas alpha(y.size());
    std::vector<double> scale(y.size());
    forward(q, y, alpha, scale, ll);
    std::vector<int> path(y.size());
    path[T - 1] = draw_state(alpha[T - 1], uniform(rng));
    for (int t = T - 2; t >= 0; --t) {
      std::array<double, K> w;
      for (int i = 0; i < K; ++i) w[i] = alpha[t][i] * q.P[i][path[t + 1]];
      path[t] = draw_state(w, uniform(rng));
    }
    paths.push_back(std::move(path));
  }
  return paths;
}

/// The state of each row of each step's one-hot choice (scg's decoded or drawn path):
/// [sequence][step].
inline Paths paths_of(const std::vector<scg::Tensor>& onehot) {
  Paths p(static_cast<std::size_t>(onehot[0].rows()), std::vector<int>(onehot.size()));
  for (std::size_t t = 0; t < onehot.size(); ++t)
    for (std::size_t n = 0; n < p.size(); ++n)
      for (int k = 0; k < K; ++k)
        if (onehot[t](static_cast<Eigen::Index>(n), k) > 0.5) p[n][t] = k;
  return p;
}

/// The exact log-likelihood of the sequences ys (all of one length) as an scg graph, and its
/// gradient: no forward algorithm written, expectation() finds the chain and the plates.
struct HmmGraph {
  scg::Graph g;
  scg::Var l0, A, B, ll;
  scg::Var loglik;          // log p(y | z), 1x1: the log-weight of the posterior queries
  std::vector<scg::Var> z;  // the hidden choices, one N x K categorical per step
  std::vector<scg::Var> grads;
  HmmGraph(const HmmParams& init, const std::vector<std::vector<int>>& ys) {
    const auto N = static_cast<Eigen::Index>(ys.size());
    const int T = static_cast<int>(ys[0].size());
    l0 = g.parameter("l0", init.l0), A = g.parameter("A", init.A), B = g.parameter("B", init.B);
    const scg::Var logB = scg::log_softmax(B);
    z.push_back(scg::categorical(l0 + g.constant(scg::Tensor(N, K))));  // one row per sequence
    for (int t = 0; t < T; ++t) {
      if (t > 0) z.push_back(scg::categorical(scg::matmul(z.back(), A)));
      scg::Tensor onehot(N, M);
      for (Eigen::Index n = 0; n < N; ++n)
        onehot(n, ys[static_cast<std::size_t>(n)][static_cast<std::size_t>(t)]) = 1.0;
      const scg::Var e =
          scg::sum(scg::matmul(z.back(), logB) * g.constant(onehot));  // sum_n log p(y_nt | z_nt)
      loglik = loglik.empty() ? e : loglik + e;
    }
    ll = scg::log(scg::expectation(scg::exp(loglik)));
    grads = scg::grad(ll, {l0, A, B});
  }
  /// {ll, d ll / d l0, d ll / d A, d ll / d B}: what a training step runs.
  std::vector<scg::Var> targets() const {
    std::vector<scg::Var> t{ll};
    t.insert(t.end(), grads.begin(), grads.end());
    return t;
  }
};

/// n sequences of length T drawn from the model p; their hidden states to *states when given
/// (the same draws either way).
inline std::vector<std::vector<int>> sample_hmm(const HmmParams& p, int n, int T,
                                                std::mt19937_64& rng,
                                                std::vector<std::vector<int>>* states = nullptr) {
  auto draw = [&](const std::vector<double>& q) {
    return static_cast<int>(std::discrete_distribution<int>(q.begin(), q.end())(rng));
  };
  std::vector<std::vector<int>> ys(static_cast<std::size_t>(n),
                                   std::vector<int>(static_cast<std::size_t>(T)));
  if (states) states->assign(ys.size(), std::vector<int>(static_cast<std::size_t>(T)));
  for (std::size_t i = 0; i < ys.size(); ++i) {
    int z = draw(softmax_row(p.l0, 0));
    for (int t = 0; t < T; ++t) {
      if (t) z = draw(softmax_row(p.A, z));
      ys[i][static_cast<std::size_t>(t)] = draw(softmax_row(p.B, z));
      if (states) (*states)[i][static_cast<std::size_t>(t)] = z;
    }
  }
  return ys;
}

/// The true model of the example (sticky transitions) and the starting point of the fit, both
/// drawn from rng with normal.
inline void draw_truth_and_start(std::mt19937_64& rng, std::normal_distribution<double>& normal,
                                 HmmParams& truth, HmmParams& init) {
  for (int j = 0; j < K; ++j) truth.l0(0, j) = normal(rng);
  for (int i = 0; i < K; ++i) {
    for (int j = 0; j < K; ++j) truth.A(i, j) = (i == j ? 2.5 : 0.0) + 0.5 * normal(rng);  // sticky
    for (int m = 0; m < M; ++m) truth.B(i, m) = 1.5 * normal(rng);
  }
  for (scg::Tensor* t : {&init.l0, &init.A, &init.B})
    for (Eigen::Index k = 0; k < t->shape().size(); ++k) t->data()[k] = 0.3 * normal(rng);
}

}  // namespace hmm
