// Estimators side by side on the toy of the DisARM and RELAX papers: b ~ Bernoulli(sigmoid(theta)),
// minimize E[(b - t)^2] for t = 0.45 and t = 0.499 (the gradient's sign is the hard part: the
// two costs differ by 0.1 and 0.002). Every estimator spends two evaluations of the cost per
// estimate (RELAX: one, plus its control variate), so variances compare at equal cost.
//
//   score x2   the score function over two independent samples, averaged
//   RLOO       the same two samples, each with the other as its baseline (leave-one-out)
//   DisARM     one antithetic pair (bernoulli_pairs + Estimator::kDisarm)
//   enumerate  both states of b exactly (Estimator::kEnumerate)
//   RELAX      one sample, control variate c(z) = eta0 + eta1 (sigmoid(zeta / 0.5) - t)^2,
//              trained beforehand by minimizing the estimate's variance
//   Concrete   two relaxed samples (t = 0.5), reparameterized: biased
//   ST         straight-through over two relaxed samples: biased
//
// For each: mean (and its bias against the exact gradient), variance, signal-to-noise |mean| /
// std, time per estimate; then the training curve of theta under each (Adam, 300 steps). The
// last line is JSON.
//
// Usage: estimators [--quick] [--runs R] [--out DIR]   (--help for more)
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include "cli.hpp"
#include "report.hpp"

namespace {

double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// One estimator of d/dtheta E[(b - t)^2] in its own graph.
struct Setup {
  std::string name;
  bool biased = false;
  std::function<std::vector<scg::Var>(scg::Graph&, scg::Var theta, double t)> build;  // {estimate, [eta0, eta1]}
};

std::vector<Setup> setups() {
  auto two = [](scg::Graph&, scg::Var theta) { return scg::broadcast_to(theta, {2, 1}); };
  return {
      {"score x2", false, [=](scg::Graph& g, scg::Var theta, double t) {
         auto b = scg::bernoulli(two(g, theta));
         return std::vector<scg::Var>{scg::grad(scg::mean(scg::square(b - t)), {theta})[0]};
       }},
      {"RLOO", false, [=](scg::Graph& g, scg::Var theta, double t) {
         auto b = scg::bernoulli(two(g, theta));
         scg::GradOptions o;
         o.baseline = scg::Baseline::kLeaveOneOut;
         return std::vector<scg::Var>{scg::grad(scg::mean(scg::square(b - t)), {theta}, o)[0]};
       }},
      {"DisARM", false, [=](scg::Graph& g, scg::Var theta, double t) {
         auto b = scg::bernoulli_pairs(two(g, theta));
         scg::GradOptions o;
         o.estimators = {{b, scg::Estimator::kDisarm}};
         return std::vector<scg::Var>{scg::grad(scg::mean(scg::square(b - t)), {theta}, o)[0]};
       }},
      {"enumerate", false, [](scg::Graph&, scg::Var theta, double t) {
         auto b = scg::bernoulli(theta);
         scg::GradOptions o;
         o.estimators = {{b, scg::Estimator::kEnumerate}};
         return std::vector<scg::Var>{scg::grad(scg::square(b - t), {theta}, o)[0]};
       }},
      {"RELAX", false, [](scg::Graph& g, scg::Var theta, double t) {
         auto eta0 = g.parameter("eta0", 0.0), eta1 = g.parameter("eta1", 1.0);
         auto b = scg::bernoulli(theta);
         scg::GradOptions o;
         o.estimators = {{b, scg::Estimator::kRelax}};
         o.control_variates = {{b, [=](const scg::Var& z) { return eta0 + eta1 * scg::square(z - t); }, 0.5}};
         return std::vector<scg::Var>{scg::grad(scg::square(b - t), {theta}, o)[0], eta0, eta1};
       }},
      {"Concrete", true, [=](scg::Graph& g, scg::Var theta, double t) {
         auto y = scg::relaxed_bernoulli(two(g, theta), 0.5);
         return std::vector<scg::Var>{scg::grad(scg::mean(scg::square(y - t)), {theta})[0]};
       }},
      {"ST", true, [=](scg::Graph& g, scg::Var theta, double t) {
         auto y = scg::relaxed_bernoulli(two(g, theta), 0.5, true);
         return std::vector<scg::Var>{scg::grad(scg::mean(scg::square(y - t)), {theta})[0]};
       }},
  };
}

/// Trains a RELAX control variate (eta0, eta1) by minimizing the estimate's second moment.
void train_control(scg::Session& s, const std::vector<scg::Var>& built, int steps) {
  if (built.size() < 3) return;
  const std::vector<scg::Var> eta{built[1], built[2]};
  const auto d = scg::grad(scg::square(built[0]), eta);
  scg::Adam adam(eta, 0.02);
  for (int i = 0; i < steps; ++i) adam.step(s.run(d));
}


struct Settings {
  int runs = 200000, steps = 300;
  bool quick = false;
  std::string out = ".";
};

Settings parse(int argc, char** argv) {
  Settings s;
  cli::Flags f("estimators", "Gradient estimators side by side on the Bernoulli toy of the DisARM and RELAX papers.");
  f.quick_flag(s.quick, "a short run");
  f.count("runs", s.runs, "R", "estimates per estimator for the mean and variance, 2 or more", 2).quick(20000);
  f.out_dir("out", s.out, "folder for estimators_curves.csv");
  f.parse(argc, argv);
  if (s.quick) s.steps = 100;
  return s;
}

/// One estimator's row: the moments of its estimates and their cost.
struct Row {
  double mean = 0, variance = 0, us = 0;
};

Row monte_carlo(scg::Session& s, const scg::Var& estimate, int runs) {
  Row r;
  double m2 = 0;
  const auto t0 = report::Clock::now();
  for (int i = 0; i < runs; ++i) {
    const double v = s.run(estimate).item();
    r.mean += v, m2 += v * v;
  }
  r.us = 1e6 * report::seconds_since(t0) / runs;
  r.mean /= runs;
  r.variance = std::max(0.0, m2 / runs - r.mean * r.mean);
  return r;
}

/// Adam on theta from 0 with this estimator; theta before each step.
std::vector<double> training_curve(scg::Session& s, const scg::Var& theta, const scg::Var& estimate, int steps) {
  theta.set_value(0.0);
  scg::Adam adam({theta}, 0.05);
  std::vector<double> column;
  for (int k = 0; k < steps; ++k) {
    column.push_back(theta.value().item());
    adam.step({s.run(estimate)});
  }
  return column;
}

/// Measures estimator e at theta0 for target t: prints its row, appends it to `json`, and returns
/// false if it is unbiased yet more than 5 standard errors from the exact gradient. Its training
/// curve goes to `curves`.
bool measure(const Setup& e, double t, double theta0, double exact, const Settings& set, std::string& json,
             std::vector<std::vector<double>>& curves) {
  scg::Graph g;
  auto theta = g.parameter("theta", theta0);
  const auto built = e.build(g, theta, t);
  scg::Session s(g, 17);
  train_control(s, built, set.quick ? 300 : 1000);
  const Row r = monte_carlo(s, built[0], set.runs);
  const double m = r.mean, var = r.variance, se = std::sqrt(var / set.runs);
  // Bias in standard errors (a zero-variance estimator: in units of 1e-12 relative).
  const double z = (m - exact) / std::max(se, 1e-12 * std::fabs(exact));
  const double snr = var > 0 ? std::fabs(m) / std::sqrt(var) : INFINITY;
  std::printf("  %-10s %12.6g %10.1f %12.4g %8.3g %10.2f%s\n", e.name.c_str(), m, z, var, snr, r.us,
              e.biased ? "  (biased)" : "");
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "%s{\"t\":%g,\"estimator\":\"%s\",\"mean\":%.6g,\"exact\":%.6g,\"bias_in_se\":%.3g,\"variance\":%.6g,"
                "\"snr\":%.4g,\"us_per_estimate\":%.3f,\"biased\":%s}",
                json.back() == '[' ? "" : ",", t, e.name.c_str(), m, exact, z, var, snr, r.us,
                e.biased ? "true" : "false");
  json += buf;
  curves.push_back(training_curve(s, theta, built[0], set.steps));
  // An unbiased estimator must agree with the exact gradient within 5 standard errors.
  return e.biased || std::fabs(z) <= 5;
}

void write_curves(const std::string& path, const std::vector<std::vector<double>>& columns, int steps) {
  std::ofstream curves = report::open(path);
  curves << "step";
  for (double t : {0.45, 0.499})
    for (const Setup& e : setups()) curves << ",t" << t << ' ' << e.name;
  curves << '\n';
  for (int k = 0; k < steps; ++k) {
    curves << k;
    for (const auto& c : columns) curves << ',' << c[static_cast<std::size_t>(k)];
    curves << '\n';
  }
  report::close(curves, path);
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("estimators", [&] {
    const Settings set = parse(argc, argv);
    // Measured at theta = 0.5 (p = 0.62; at p = 1/2 an antithetic pair always differs, which
    // makes DisARM exact for one Bernoulli), trained from theta = 0.
    const double theta0 = 0.5;
    std::string json = "{\"example\":\"estimators\",\"runs\":" + std::to_string(set.runs) + ",\"results\":[";
    bool ok = true;
    std::vector<std::vector<double>> curve_columns;
    for (double t : {0.45, 0.499}) {
      const double p = sig(theta0), exact = p * (1 - p) * ((1 - t) * (1 - t) - t * t);
      std::printf("toy E[(b - %.3f)^2] at theta = %.1f: exact gradient %.6g\n", t, theta0, exact);
      std::printf("  %-10s %12s %10s %12s %8s %10s\n", "estimator", "mean", "bias/SE", "variance", "SNR", "us/estimate");
      for (const Setup& e : setups())
        if (!measure(e, t, theta0, exact, set, json, curve_columns)) ok = false;
    }
    write_curves(set.out + "/estimators_curves.csv", curve_columns, set.steps);
    std::printf("%s: every unbiased estimator within 5 standard errors of the exact gradient\n", ok ? "ok" : "FAILED");
    json += std::string("],\"ok\":") + (ok ? "true" : "false") + "}";
    std::printf("%s\n", json.c_str());
    return ok ? 0 : 1;
  });
}
