// The seed's Bernoulli NOT gate: a Bernoulli neuron B (p = sigmoid(w0 x + b0)) gates a
// sigmoid neuron, y = B * sigmoid(w1 x + b1); cost = sum over x in {0,1} of (1 - x - y)^2.
// The same network is trained twice: by the exact gradient of expectation(cost), and by
// the sampled estimator that grad builds automatically (N samples per step, as N rows).
//
// Usage: bernoulli_not [--quick] [--steps S] [--samples N] [--out DIR]   (--help for more)
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include "cli.hpp"
#include "report.hpp"

namespace {

struct Net {
  scg::Var w0, b0, w1, b1, x, cost, p, sig;  // p = P(B=1|x), sig = sigmoid(w1 x + b1)
  std::vector<scg::Var> params() const { return {w0, b0, w1, b1}; }
};

// The network on `copies` copies of x = (0, 1): rows 0..copies-1 hold x = 0, the rest x = 1.
// The cost is the seed's sum over x, averaged over the copies.
Net build(scg::Graph& g, const std::string& tag, int copies) {
  Net n;
  n.w0 = g.parameter(tag + "w0", 0.0);
  n.b0 = g.parameter(tag + "b0", 0.0);
  n.w1 = g.parameter(tag + "w1", 0.0);
  n.b1 = g.parameter(tag + "b1", 0.0);
  scg::Tensor xs(2 * copies, 1);
  for (int r = copies; r < 2 * copies; ++r) xs(r, 0) = 1.0;
  n.x = g.constant(xs);
  n.p = scg::sigmoid(n.w0 * n.x + n.b0);
  n.sig = scg::sigmoid(n.w1 * n.x + n.b1);
  const scg::Var b = scg::bernoulli(n.w0 * n.x + n.b0);
  const scg::Var y = b * n.sig;
  n.cost = scg::sum(scg::square((1.0 - n.x) - y)) / static_cast<double>(copies);
  return n;
}


struct Settings {
  int steps = 400, samples = 64;
  bool quick = false;
  std::string out = ".";
};

Settings parse(int argc, char** argv) {
  Settings s;
  cli::Flags f("bernoulli_not", "The Bernoulli NOT gate trained by the exact and by the sampled gradient.");
  f.quick_flag(s.quick, "a short run");
  f.count("steps", s.steps, "S", "Adam steps, lr 0.1").quick(150);
  f.count("samples", s.samples, "N", "sampled model: copies of each x per step, 2 or more", 2)
      .quick(16);
  f.out_dir("out", s.out, "folder for bernoulli_not_curves.csv and bernoulli_not.dot");
  f.parse(argc, argv);
  return s;
}

/// The three networks in one graph: trained by the exact gradient, trained by the sampled
/// estimator, and a one-copy probe of the sampled one (its exact expected cost).
struct Models {
  Net exact, sampled, probe;
  scg::Var exact_ec, probe_ec;
  std::vector<scg::Var> exact_grads, sampled_grads;

  Models(scg::Graph& g, int samples) {
    // Exact: one copy of each x; grad of the enumerated expectation (4 joint states).
    exact = build(g, "exact.", 1);
    exact_ec = scg::expectation(exact.cost);
    exact_grads = scg::grad(exact_ec, exact.params());
    // Sampled: `samples` copies of each x; grad adds the score terms (each row's B weighted by
    // its own row's cost), with a leave-one-out baseline among the copies of the same x.
    sampled = build(g, "sampled.", samples);
    scg::GradOptions opt;
    opt.baseline = scg::Baseline::kLeaveOneOut;
    opt.group_size = static_cast<std::size_t>(samples);
    sampled_grads = scg::grad(sampled.cost, sampled.params(), opt);
    // The exact expected cost of the sampled model's current parameters, to plot its progress.
    probe = build(g, "probe.", 1);
    probe_ec = scg::expectation(probe.cost);
  }
  void sync_probe() const {
    for (std::size_t i = 0; i < 4; ++i) probe.params()[i].set_value(sampled.params()[i].value());
  }
};

/// Trains both models side by side for `steps` Adam steps, writing both exact expected costs
/// after every step to `csv_path`.
void train(scg::Session& s, const Models& m, int steps, const std::string& csv_path) {
  scg::Adam exact_opt(m.exact.params(), 0.1), sampled_opt(m.sampled.params(), 0.1);
  std::ofstream csv = report::open(csv_path);
  csv << "step,exact_model_EC,sampled_model_EC\n";
  std::vector<scg::Var> exact_targets(m.exact_grads);
  exact_targets.push_back(m.exact_ec);
  for (int step = 0; step <= steps; ++step) {
    const auto& ev = s.run(exact_targets);
    m.sync_probe();
    const double sampled_ec = s.run(m.probe_ec).item();
    csv << step << ',' << ev[4].item() << ',' << sampled_ec << '\n';
    if (step == steps) break;
    exact_opt.step({ev[0], ev[1], ev[2], ev[3]});
    sampled_opt.step(s.run(m.sampled_grads));
  }
  report::close(csv, csv_path);
}

/// Exact E[C] beside a Monte-Carlo estimate, and the learned gate; returns {E[C], E[y|0], E[y|1]}.
std::array<double, 3> report_model(scg::Session& s, const char* name, const Net& net, const scg::Var& ec_of) {
  const double ec = s.run(ec_of).item();
  // Monte-Carlo: the one-copy cost, sampled many times (per run: both x, one B each).
  const int runs = 20000;
  double m = 0, m2 = 0;
  for (int i = 0; i < runs; ++i) {
    const double c = s.run(net.cost).item();
    m += c, m2 += c * c;
  }
  m /= runs;
  const double se = std::sqrt((m2 / runs - m * m) / runs);
  const auto p = s.run(net.p), sig = s.run(net.sig);
  std::printf("%s: E[C] exact %.6f, Monte-Carlo %.6f +- %.6f (%d runs, %.1f standard errors apart)\n", name, ec,
              m, se, runs, se > 0 ? std::fabs(m - ec) / se : 0.0);
  for (int k = 0; k < 2; ++k) {
    const int row = k == 0 ? 0 : static_cast<int>(p.rows()) - 1;
    std::printf("  x = %d: P(B=1|x) = %.4f, sigmoid neuron = %.4f, E[y|x] = %.4f (target %d)\n", k, p(row, 0),
                sig(row, 0), p(row, 0) * sig(row, 0), 1 - k);
  }
  const int last = static_cast<int>(p.rows()) - 1;
  const double y0 = p(0, 0) * sig(0, 0), y1 = p(last, 0) * sig(last, 0);
  return std::array<double, 3>{ec, y0, y1};
}

/// The picture: one copy of the network and the gradient nodes grad adds (score terms
/// included), in a graph of its own so it stays readable.
void write_picture(const std::string& path) {
  scg::Graph pic;
  const Net drawn = build(pic, "", 1);
  scg::grad(drawn.cost, drawn.params());
  std::ofstream dot = report::open(path);
  scg::write_dot(pic, dot);
  report::close(dot, path);
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("bernoulli_not", [&] {
    const Settings set = parse(argc, argv);
    scg::Graph g;
    const Models m(g, set.samples);
    scg::Session s(g, 2026);
    train(s, m, set.steps, set.out + "/bernoulli_not_curves.csv");

    std::printf("Bernoulli NOT gate, %d Adam steps (lr 0.1); sampled: N = %d samples per x per step\n",
                set.steps, set.samples);
    m.sync_probe();
    const auto e = report_model(s, "exact gradient  ", m.exact, m.exact_ec);
    const auto p = report_model(s, "sampled gradient", m.probe, m.probe_ec);
    const bool exact_ok = e[1] > 0.9 && e[2] < 0.1, sampled_ok = p[1] > 0.9 && p[2] < 0.1;
    std::printf("verdict: exact gradient %s; sampled estimator %s (learned = E[y|0] > 0.9 and E[y|1] < 0.1)\n",
                exact_ok ? "learned NOT" : "did NOT learn NOT", sampled_ok ? "learned NOT" : "did NOT learn NOT");
    write_picture(set.out + "/bernoulli_not.dot");
    std::printf("wrote %s/bernoulli_not_curves.csv and %s/bernoulli_not.dot\n", set.out.c_str(), set.out.c_str());
    std::printf("{\"example\":\"bernoulli_not\",\"steps\":%d,\"samples\":%d,\"exact_EC\":%.6g,"
                "\"sampled_EC\":%.6g,\"exact_y0\":%.4f,\"exact_y1\":%.4f,\"sampled_y0\":%.4f,"
                "\"sampled_y1\":%.4f,\"learned\":%s}\n",
                set.steps, set.samples, e[0], p[0], e[1], e[2], p[1], p[2],
                exact_ok && sampled_ok ? "true" : "false");
    return exact_ok && sampled_ok ? 0 : 1;
  });
}
