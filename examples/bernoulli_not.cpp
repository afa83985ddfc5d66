// The seed's Bernoulli NOT gate: a Bernoulli neuron B (p = sigmoid(w0 x + b0)) gates a
// sigmoid neuron, y = B * sigmoid(w1 x + b1); cost = sum over x in {0,1} of (1 - x - y)^2.
// The same network is trained twice: by the exact gradient of expectation(cost), and by
// the sampled estimator that grad builds automatically (N samples per step, as N rows).
//
// Usage: bernoulli_not [--quick] [--steps S] [--samples N] [--out DIR]
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <scg/scg.hpp>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
  int steps = 400, samples = 64;
  std::string out = ".";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) steps = 150, samples = 16;
    else if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) steps = std::stoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--samples") && i + 1 < argc) samples = std::stoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else { std::fprintf(stderr, "usage: %s [--quick] [--steps S] [--samples N] [--out DIR]\n", argv[0]); return 2; }
  }

  scg::Graph g;
  // Exact: one copy of each x; grad of the enumerated expectation (4 joint states).
  Net exact = build(g, "exact.", 1);
  const scg::Var exact_ec = scg::expectation(exact.cost);
  const auto exact_grads = scg::grad(exact_ec, exact.params());
  // Sampled: `samples` copies of each x; grad adds the score terms (each row's B weighted by
  // its own row's cost), with a leave-one-out baseline among the copies of the same x.
  Net sampled = build(g, "sampled.", samples);
  scg::GradOptions opt;
  opt.baseline = scg::Baseline::kLeaveOneOut;
  opt.group_size = static_cast<std::size_t>(samples);
  const auto sampled_grads = scg::grad(sampled.cost, sampled.params(), opt);
  // The exact expected cost of the sampled model's current parameters, to plot its progress.
  Net probe = build(g, "probe.", 1);
  const scg::Var probe_ec = scg::expectation(probe.cost);

  scg::Session s(g, 2026);
  scg::Adam exact_opt(exact.params(), 0.1), sampled_opt(sampled.params(), 0.1);
  std::ofstream csv(out + "/bernoulli_not_curves.csv");
  csv << "step,exact_model_EC,sampled_model_EC\n";
  auto sync_probe = [&] {
    for (std::size_t i = 0; i < 4; ++i) probe.params()[i].set_value(sampled.params()[i].value());
  };
  std::vector<scg::Var> exact_targets(exact_grads);
  exact_targets.push_back(exact_ec);
  for (int step = 0; step <= steps; ++step) {
    const auto& ev = s.run(exact_targets);
    sync_probe();
    const double sampled_ec = s.run(probe_ec).item();
    csv << step << ',' << ev[4].item() << ',' << sampled_ec << '\n';
    if (step == steps) break;
    exact_opt.step({ev[0], ev[1], ev[2], ev[3]});
    sampled_opt.step(s.run(sampled_grads));
  }

  // Report: exact E[C] beside a Monte-Carlo estimate, for both trained models.
  auto report = [&](const char* name, const Net& net, const scg::Var& ec_of) {
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
    std::printf("%s: E[C] exact %.6f, Monte-Carlo %.6f +- %.6f (%d runs, %.1f standard errors apart)\n",
                name, ec, m, se, runs, se > 0 ? std::fabs(m - ec) / se : 0.0);
    for (int k = 0; k < 2; ++k) {
      const int row = k == 0 ? 0 : static_cast<int>(p.rows()) - 1;
      std::printf("  x = %d: P(B=1|x) = %.4f, sigmoid neuron = %.4f, E[y|x] = %.4f (target %d)\n", k,
                  p(row, 0), sig(row, 0), p(row, 0) * sig(row, 0), 1 - k);
    }
    const int last = static_cast<int>(p.rows()) - 1;
    const double y0 = p(0, 0) * sig(0, 0), y1 = p(last, 0) * sig(last, 0);
    return std::array<double, 3>{ec, y0, y1};
  };
  std::printf("Bernoulli NOT gate, %d Adam steps (lr 0.1); sampled: N = %d samples per x per step\n",
              steps, samples);
  sync_probe();
  const auto e = report("exact gradient  ", exact, exact_ec);
  const auto m = report("sampled gradient", probe, probe_ec);
  const bool exact_ok = e[1] > 0.9 && e[2] < 0.1, sampled_ok = m[1] > 0.9 && m[2] < 0.1;
  std::printf("verdict: exact gradient %s; sampled estimator %s (learned = E[y|0] > 0.9 and E[y|1] < 0.1)\n",
              exact_ok ? "learned NOT" : "did NOT learn NOT", sampled_ok ? "learned NOT" : "did NOT learn NOT");

  // The picture: one copy of the network and the gradient nodes grad adds (score terms
  // included), in a graph of its own so it stays readable.
  scg::Graph pic;
  const Net drawn = build(pic, "", 1);
  scg::grad(drawn.cost, drawn.params());
  std::ofstream dot(out + "/bernoulli_not.dot");
  scg::write_dot(pic, dot);
  std::printf("wrote %s/bernoulli_not_curves.csv and %s/bernoulli_not.dot\n", out.c_str(), out.c_str());
  std::printf("{\"example\":\"bernoulli_not\",\"steps\":%d,\"samples\":%d,\"exact_EC\":%.6g,"
              "\"sampled_EC\":%.6g,\"exact_y0\":%.4f,\"exact_y1\":%.4f,\"sampled_y0\":%.4f,"
              "\"sampled_y1\":%.4f,\"learned\":%s}\n",
              steps, samples, e[0], m[0], e[1], e[2], m[1], m[2],
              exact_ok && sampled_ok ? "true" : "false");
  return exact_ok && sampled_ok ? 0 : 1;
}
