#pragma once
// The discrete VAE of examples/discrete_vae.cpp, shared with bench/ so the benchmark times
// the very model the example trains.
//
//   encoder  q(z|x):  h = tanh(x We1 + be1),  z ~ Bernoulli(sigmoid(h We2 + be2))
//   decoder  p(x|z):  d = tanh(z Wd1 + bd1),  x ~ Bernoulli(sigmoid(d Wd2 + bd2))
//   prior    p(z):    Bernoulli(1/2) per unit
//   ELBO(x) = E_q[ log p(x|z) + log p(z) - log q(z|x) ],  cost = -mean ELBO over the rows.
//   With analytic_kl: ELBO(x) = E_q[ log p(x|z) ] - KL(q(z|x) || p(z)), the KL in closed form
//   (scg::kl_divergence), so only log p(x|z) carries score terms.
//
// Rows are B images x K samples (K consecutive rows per image). grad weights each row's
// choice z only by its own row's ELBO, with the mean of the image's other K-1 samples as
// the baseline (leave-one-out).
#include <cmath>
#include <random>
#include <scg/scg.hpp>
#include <vector>

namespace vae {

constexpr int kPixels = 784, kLatent = 200, kHidden = 256;

struct Model {
  std::vector<scg::Var> params;  // We1, be1, We2, be2, Wd1, bd1, Wd2, bd2
  scg::Var x;                    // input, B*K x 784, binary
  scg::Var mean_elbo;            // mean ELBO over the rows (nats)
  std::vector<scg::Var> grads;   // estimate of d(-E[mean ELBO]) / d params
};

/// Weights ~ N(0, 1/fan_in) from `seed`, biases 0.
inline scg::Tensor init(std::mt19937_64& rng, int rows, int cols) {
  std::normal_distribution<double> n01(0.0, 1.0 / std::sqrt(static_cast<double>(rows)));
  scg::Tensor t(rows, cols);
  for (int c = 0; c < cols; ++c)
    for (int r = 0; r < rows; ++r) t(r, c) = n01(rng);
  return t;
}

/// Builds the model for batches of B images x K samples, and its gradient estimator.
inline Model build(scg::Graph& g, int B, int K, std::uint64_t seed = 1, bool analytic_kl = false) {
  std::mt19937_64 rng(seed);
  Model m;
  auto weight = [&](const char* name, int rows, int cols) {
    m.params.push_back(g.parameter(name, init(rng, rows, cols)));
    return m.params.back();
  };
  auto bias = [&](const char* name, int cols) {
    m.params.push_back(g.parameter(name, scg::Tensor(1, cols)));
    return m.params.back();
  };
  auto We1 = weight("We1", kPixels, kHidden), be1 = bias("be1", kHidden);
  auto We2 = weight("We2", kHidden, kLatent), be2 = bias("be2", kLatent);
  auto Wd1 = weight("Wd1", kLatent, kHidden), bd1 = bias("bd1", kHidden);
  auto Wd2 = weight("Wd2", kHidden, kPixels), bd2 = bias("bd2", kPixels);
  m.x = g.input("x", B * K, kPixels);
  auto z = scg::bernoulli(scg::matmul(scg::tanh(scg::matmul(m.x, We1) + be1), We2) + be2);
  auto logits = scg::matmul(scg::tanh(scg::matmul(z, Wd1) + bd1), Wd2) + bd2;
  auto log_px = scg::sum(m.x * logits - scg::softplus(logits), 1);  // Bernoulli log-likelihood
  if (analytic_kl) {
    // The prior as a node of its own (its samples are never used: KL reads parameters only).
    const auto prior = scg::bernoulli(g.constant(scg::Tensor(B * K, kLatent, 0.0)));
    m.mean_elbo = scg::mean(log_px - scg::sum(scg::kl_divergence(z, prior), 1));
  } else {
    auto log_pz = -kLatent * std::log(2.0);
    auto log_qz = scg::sum(scg::log_prob(z), 1);
    m.mean_elbo = scg::mean(log_px + log_pz - log_qz);
  }
  scg::GradOptions opt;
  opt.baseline = scg::Baseline::kLeaveOneOut;
  opt.group_size = static_cast<std::size_t>(K);
  m.grads = scg::grad(-m.mean_elbo, m.params, opt);
  return m;
}

}  // namespace vae
