#pragma once
// The discrete VAE of examples/discrete_vae.cpp, shared with bench/ so the benchmark times
// the very model the example trains.
//
//   encoder  q(z|x):  h = tanh(x We1 + be1),  z ~ Bernoulli(sigmoid(h We2 + be2))
//   decoder  p(x|z):  d = tanh(z Wd1 + bd1),  x ~ Bernoulli(sigmoid(d Wd2 + bd2))
//   (linear: logits x We + be and z Wd + bd, the DisARM paper's linear model; nonlinear: its
//   nonlinear one, two hidden layers of 200 leaky-ReLU units (slope 0.2) each way)
//   prior    p(z):    Bernoulli(1/2) per unit
//   ELBO(x) = E_q[ log p(x|z) + log p(z) - log q(z|x) ],  cost = -mean ELBO over the rows.
//   With analytic_kl: ELBO(x) = E_q[ log p(x|z) ] - KL(q(z|x) || p(z)), the KL in closed form
//   (scg::kl_divergence), so only log p(x|z) carries score terms.
//
// Rows are B images x K samples (K consecutive rows per image). How the gradient reaches the
// encoder, by `estimator`:
//   score   score function, each row's choice weighted by its own row's ELBO, with the mean of
//           the image's other K-1 samples as the baseline (leave-one-out)
//   disarm  DisARM on antithetic pairs of rows (bernoulli_pairs; K even)
//   relax   RELAX with the control variate c(z) = eta0 + eta1 log p(x | sigmoid(zeta / 0.5))
//           per row (REBAR's form plus a constant), eta trained by variance minimization
//   gumbel  binary Concrete relaxation (temperature 0.5), analytic KL: biased
//   st      straight-through over it: biased
// With objective iwae the cost is instead -mean over images of the K-sample bound
// log_mean_exp(log p(x|z_k) + log p(z_k) - log q(z_k|x), K) (IWAE), and the estimator is
//   score   the score function, each sample weighted by its image's bound (no baseline)
//   vimco   the same with Baseline::kVimco (each sample's signal L - L_{-k})
//   disarm  local DisARM: 2K rows per image in K antithetic pairs (bernoulli_pairs); the bound
//           log_mean_exp(reshape(log w, rows / 2, 2), K) gives two K-sample bounds per image
//           (the pairs' first rows, their second rows), the cost is -mean of both, and each
//           sample's partner is its counterfactual (Dong, Mnih and Tucker 2020, section 5)
#include <cmath>
#include <functional>
#include <random>
#include <scg/scg.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace vae {

constexpr int kPixels = 784, kLatent = 200, kHidden = 256;

struct Options {
  std::string estimator = "score";  ///< score | disarm | relax | gumbel | st | vimco (iwae)
  std::string objective = "elbo";   ///< elbo | iwae (the K-sample bound)
  bool analytic_kl = false;         ///< KL to the prior in closed form (gumbel and st always)
  std::string model = "mlp";        ///< mlp | linear | nonlinear (the DisARM paper's two)
  double temperature = 0.5;         ///< of the relaxations (relax, gumbel, st)
  bool gradients = true;            ///< false: the bound only (an evaluator), no grad
  int threads = 1;                  ///< the training session's threads (0: all cores)
};

/// Rows of the model per image for K samples: 2K for iwae with disarm (K pairs), else K.
inline int rows_per_image(const Options& o, int K) {
  return o.objective == "iwae" && o.estimator == "disarm" ? 2 * K : K;
}

struct Model {
  std::vector<scg::Var> params;   // encoder then decoder weights and biases
  scg::Var x;                     // input, B*R x 784, binary (R = rows_per_image)
  scg::Var mean_elbo;             // mean ELBO over the rows (nats): the discrete model's; iwae:
                                  // the mean K-sample bound over the images
  std::vector<scg::Var> grads;    // estimate of d(-E[mean ELBO]) / d params
  std::vector<scg::Var> control;  // relax: the control variate's parameters
  std::vector<scg::Var> control_grads;  // relax: d(second moment of grads) / d control
  std::size_t encoder_params = 0;       // params[0 .. encoder_params) are the encoder's
};

/// Weights ~ N(0, 1/fan_in) from `seed`, biases 0.
inline scg::Tensor init(std::mt19937_64& rng, int rows, int cols) {
  std::normal_distribution<double> n01(0.0, 1.0 / std::sqrt(static_cast<double>(rows)));
  scg::Tensor t(rows, cols);
  for (int c = 0; c < cols; ++c)
    for (int r = 0; r < rows; ++r) t(r, c) = n01(rng);
  return t;
}

namespace detail {

using Logits = std::function<scg::Var(const scg::Var&)>;

/// Creates the model's weights (init, from one generator, in the order asked) and biases (0) in
/// g, recording them in m.params.
struct ParamMaker {
  scg::Graph& g;
  Model& m;
  std::mt19937_64 rng;
  scg::Var weight(const char* name, int rows, int cols) {
    m.params.push_back(g.parameter(name, init(rng, rows, cols)));
    return m.params.back();
  }
  scg::Var bias(const char* name, int cols) {
    m.params.push_back(g.parameter(name, scg::Tensor(1, cols)));
    return m.params.back();
  }
};

inline scg::Var leaky_relu(const scg::Var& v) { return scg::maximum(v, 0.2 * v); }

/// The encoder's logits of q(z|x).
inline scg::Var encoder_logits(ParamMaker& p, const scg::Var& x, const std::string& model) {
  if (model == "linear") {
    auto We = p.weight("We", kPixels, kLatent), be = p.bias("be", kLatent);
    return scg::matmul(x, We) + be;
  }
  if (model == "nonlinear") {
    auto We1 = p.weight("We1", kPixels, 200), be1 = p.bias("be1", 200);
    auto We2 = p.weight("We2", 200, 200), be2 = p.bias("be2", 200);
    auto We3 = p.weight("We3", 200, kLatent), be3 = p.bias("be3", kLatent);
    return scg::matmul(leaky_relu(scg::matmul(leaky_relu(scg::matmul(x, We1) + be1), We2) + be2), We3) + be3;
  }
  auto We1 = p.weight("We1", kPixels, kHidden), be1 = p.bias("be1", kHidden);
  auto We2 = p.weight("We2", kHidden, kLatent), be2 = p.bias("be2", kLatent);
  return scg::matmul(scg::tanh(scg::matmul(x, We1) + be1), We2) + be2;
}

/// The decoder: the logits of p(x|z) as a function of z (its parameters created now).
inline Logits decoder(ParamMaker& p, const std::string& model) {
  if (model == "nonlinear") {
    auto Wd1 = p.weight("Wd1", kLatent, 200), bd1 = p.bias("bd1", 200);
    auto Wd2 = p.weight("Wd2", 200, 200), bd2 = p.bias("bd2", 200);
    auto Wd3 = p.weight("Wd3", 200, kPixels), bd3 = p.bias("bd3", kPixels);
    return [=](const scg::Var& z) {
      return scg::matmul(leaky_relu(scg::matmul(leaky_relu(scg::matmul(z, Wd1) + bd1), Wd2) + bd2), Wd3) + bd3;
    };
  }
  if (model == "linear") {
    auto Wd = p.weight("Wd", kLatent, kPixels), bd = p.bias("bd", kPixels);
    return [=](const scg::Var& z) { return scg::matmul(z, Wd) + bd; };
  }
  auto Wd1 = p.weight("Wd1", kLatent, kHidden), bd1 = p.bias("bd1", kHidden);
  auto Wd2 = p.weight("Wd2", kHidden, kPixels), bd2 = p.bias("bd2", kPixels);
  return [=](const scg::Var& z) { return scg::matmul(scg::tanh(scg::matmul(z, Wd1) + bd1), Wd2) + bd2; };
}

/// The pieces an estimator's cost is made of.
struct Terms {
  scg::Var logits_q, z, kl;  // z: the sampled latents (antithetic pairs for disarm)
  Logits log_px;             // Bernoulli log-likelihood of x given latents, rows x 1
};

/// The cost whose gradient estimates d(-E[mean ELBO]) (`cost`, -mean ELBO, except for the
/// relaxations), with what the estimator adds to grad's options (baseline, estimator, control
/// variate; relax's eta parameters go to m.control).
inline scg::Var estimator_cost(scg::Graph& g, Model& m, const Options& o, int B, int K, const Terms& t,
                               const scg::Var& cost, scg::GradOptions& opt) {
  const std::string& est = o.estimator;
  if (est == "score") {
    opt.baseline = scg::Baseline::kLeaveOneOut;
    opt.group_size = static_cast<std::size_t>(K);
  } else if (est == "disarm") {
    opt.estimators = {{t.z, scg::Estimator::kDisarm}};
  } else if (est == "relax") {
    auto eta0 = g.parameter("eta0", 0.0), eta1 = g.parameter("eta1", 1.0);  // c starts as log p(x|z)
    m.control = {eta0, eta1};
    opt.estimators = {{t.z, scg::Estimator::kRelax}};
    // c(z) for row r from row r of z only; the ELBO's coefficient of the choice is -ELBO / rows.
    const double rows = static_cast<double>(B * K);
    const Logits log_px = t.log_px;
    opt.control_variates = {{t.z, [=](const scg::Var& zr) { return -(eta0 + eta1 * log_px(zr)) / rows; }, o.temperature}};
  } else {  // a relaxation: the decoder reads the relaxed sample, the KL is analytic
    const scg::Var y = scg::relaxed_bernoulli(t.logits_q, o.temperature, est == "st");
    return -scg::mean(t.log_px(y) - t.kl);
  }
  return cost;
}

/// relax: the gradient of the estimate's second moment with respect to the control variate.
inline void control_gradients(Model& m) {
  if (m.control.empty()) return;
  scg::Var second;
  for (const auto& gr : m.grads) second = second.empty() ? scg::sum(scg::square(gr)) : second + scg::sum(scg::square(gr));
  m.control_grads = scg::grad(second, m.control);
}

}  // namespace detail

/// Builds the model for batches of B images x K samples (rows_per_image(o, K) rows each), and
/// its gradient estimator.
inline Model build(scg::Graph& g, int B, int K, std::uint64_t seed = 1, const Options& o = {}) {
  const std::string& est = o.estimator;
  const bool iwae = o.objective == "iwae";
  if (o.objective != "elbo" && !iwae) throw std::invalid_argument("vae: unknown objective " + o.objective);
  if (iwae ? est != "score" && est != "vimco" && est != "disarm"
           : est != "score" && est != "disarm" && est != "relax" && est != "gumbel" && est != "st")
    throw std::invalid_argument("vae: estimator " + est + " is not one for objective " + o.objective);
  if (iwae && o.analytic_kl) throw std::invalid_argument("vae: the iwae objective has no analytic KL");
  if (est == "disarm" && !iwae && K % 2 != 0) throw std::invalid_argument("vae: disarm needs an even K");
  const int R = rows_per_image(o, K);
  Model m;
  detail::ParamMaker p{g, m, std::mt19937_64(seed)};
  m.x = g.input("x", B * R, kPixels);
  detail::Terms t;
  t.logits_q = detail::encoder_logits(p, m.x, o.model);
  m.encoder_params = m.params.size();
  const detail::Logits decoder = detail::decoder(p, o.model);
  const scg::Var x = m.x;
  t.log_px = [=](const scg::Var& z) {
    const scg::Var logits = decoder(z);
    return scg::sum(x * logits - scg::softplus(logits), 1);
  };
  // The prior, and q as a plain bernoulli node for the analytic KL (it reads the logits only;
  // the node itself is never sampled by the cost).
  const auto prior = scg::bernoulli(g.constant(scg::Tensor(B * R, kLatent, 0.0)));
  const auto q = scg::bernoulli(t.logits_q);
  t.kl = scg::sum(scg::kl_divergence(q, prior), 1);
  t.z = est == "disarm" ? scg::bernoulli_pairs(t.logits_q) : q;
  const scg::Var elbo = o.analytic_kl ? t.log_px(t.z) - t.kl
                                      : t.log_px(t.z) - kLatent * std::log(2.0) - scg::sum(scg::log_prob(t.z), 1);
  scg::GradOptions opt;
  scg::Var cost;
  if (iwae) {
    // disarm: one row per pair holding its two samples' weights; two bounds per image.
    m.mean_elbo = scg::mean(scg::log_mean_exp(est == "disarm" ? scg::reshape(elbo, B * K, 2) : elbo, K));
    cost = -m.mean_elbo;
    if (est == "vimco") opt.baseline = scg::Baseline::kVimco;
    if (est == "disarm") opt.estimators = {{t.z, scg::Estimator::kDisarm}};
  } else {
    m.mean_elbo = scg::mean(elbo);
    cost = detail::estimator_cost(g, m, o, B, K, t, -m.mean_elbo, opt);
  }
  if (!o.gradients) return m;
  m.grads = scg::grad(cost, m.params, opt);
  detail::control_gradients(m);
  return m;
}

}  // namespace vae
