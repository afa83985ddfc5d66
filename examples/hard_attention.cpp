// Hard attention trained by the score-function estimator that grad builds, beside soft
// attention (the differentiable reference) trained on the same minibatches.
//
// Task (fixed seed): an example is T = 8 items x_i in R^8 and a query q in R^4. Item i is
// [key k_i (random unit vector in R^4), value v_i ~ N(0, I_4)]; the query is the key of one
// item, the relevant one (uniform position), and the target is y = [w* . v_rel > 0] for a fixed
// hidden unit vector w*. Any other item's value is independent of y: reading it gives chance.
//
// Model (parameters W: 4x8, u: 8x1, c: 1x1; the hard and the soft model each have their own):
//   score   s_bi = q_b^T W x_bi                         one row of T logits per example
//   hard:   z_b ~ Categorical(softmax(s_b)),  r_b = sum_i z_bi x_bi    reads ONE item
//   soft:   a_b = softmax(s_b),               r_b = sum_i a_bi x_bi    reads a blend
//   P(y_b = 1) = sigmoid(u^T r_b + c),  cost = mean over rows of the log-loss.
// For the hard model grad adds sum_b (loss_b - baseline_b) grad log p(z_b) (row b's choice is
// weighted by row b's loss only); the baseline is leave-one-out over K samples of the same
// example, stacked as K consecutive rows (group_size = K). At test time hard attention reads
// the item argmax_i s_bi (taken on the host from the logits).
//
// Layout (2-D tensors only): items as rows [x_b1 ... x_bT] (T*D columns); constant 0/1
// matrices E (T x T*D, E[i, i*D+d] = 1) and R (D x T*D, R[d, i*D+d] = 1) give
//   s = ((q W R) .* X) E^T     (tile q^T W over the positions, multiply, sum each block)
//   r = ((z E) .* X) R^T       (spread a weight row over its blocks, multiply, sum positions)
//
// Usage: hard_attention [--quick] [--steps S] [--seed N] [--out DIR]   (--help for more)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include "cli.hpp"
#include "report.hpp"

namespace {

constexpr int T = 8, D = 8, Dk = 4;  // items per example, item size, key size (value: D - Dk)

struct Data {
  scg::Tensor q, x, y;  // N x Dk queries, N x T*D items, N x 1 targets
  std::vector<int> relevant;
};

Data make_data(int n, const double* w_star, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int> position(0, T - 1);
  Data d{scg::Tensor(n, Dk), scg::Tensor(n, T * D), scg::Tensor(n, 1), std::vector<int>(n)};
  for (int b = 0; b < n; ++b) {
    for (int i = 0; i < T; ++i) {
      double norm = 0;
      for (int k = 0; k < D; ++k) d.x(b, i * D + k) = normal(rng);
      for (int k = 0; k < Dk; ++k) norm += d.x(b, i * D + k) * d.x(b, i * D + k);
      for (int k = 0; k < Dk; ++k) d.x(b, i * D + k) /= std::sqrt(norm);  // unit key
    }
    const int rel = d.relevant[b] = position(rng);
    double proj = 0;
    for (int k = 0; k < Dk; ++k) d.q(b, k) = d.x(b, rel * D + k);
    for (int k = Dk; k < D; ++k) proj += w_star[k - Dk] * d.x(b, rel * D + k);
    d.y(b, 0) = proj > 0 ? 1.0 : 0.0;
  }
  return d;
}

struct Model {
  scg::Var W, u, c;
  std::vector<scg::Var> params() const { return {W, u, c}; }
};

struct Layout {
  scg::Var E, Et, R, Rt;
};

scg::Var scores(const Model& m, const Layout& l, const scg::Var& q, const scg::Var& x) {
  return scg::matmul(scg::matmul(scg::matmul(q, m.W), l.R) * x, l.Et);
}
scg::Var read(const Layout& l, const scg::Var& weights, const scg::Var& x) {
  return scg::matmul(scg::matmul(weights, l.E) * x, l.Rt);
}
scg::Var predict(const Model& m, const scg::Var& r) { return scg::matmul(r, m.u) + m.c; }
scg::Var mean_log_loss(const scg::Var& logit, const scg::Var& y) {
  return -scg::mean(y * scg::log_sigmoid(logit) + (1.0 - y) * scg::log_sigmoid(-logit));
}


struct Settings {
  int steps = 3000, B = 32, K = 8, n_train = 20000, n_test = 5000, eval_every = 50;
  bool quick = false;
  unsigned seed = 0;  // shifts both the data's and the session's seed
  std::string out = ".";
};

Settings parse(int argc, char** argv) {
  Settings s;
  cli::Flags f("hard_attention", "Hard attention by the score-function estimator beside soft attention.");
  f.quick_flag(s.quick, "a short run");
  f.count("steps", s.steps, "S", "Adam steps, lr 0.02").quick(300);
  f.seed("seed", s.seed, "shifts the data's and the session's seeds");
  f.out_dir("out", s.out, "folder for hard_attention_curves.csv");
  f.parse(argc, argv);
  if (s.quick) s.n_test = 1000, s.eval_every = 25;
  return s;
}

/// The task's data from a fixed seed; its generator goes on to the weights and the minibatches.
struct Problem {
  std::mt19937_64 rng;
  std::normal_distribution<double> normal;
  Data train, test;
  explicit Problem(const Settings& set) : rng(2024 + set.seed) {
    double w_star[D - Dk], norm = 0;
    for (double& w : w_star) w = normal(rng), norm += w * w;
    for (double& w : w_star) w /= std::sqrt(norm);
    train = make_data(set.n_train, w_star, rng);
    test = make_data(set.n_test, w_star, rng);
  }
};

/// The graph, built once: both models' training losses and gradients on fed minibatches (hard
/// on B examples x K samples, soft on the same B examples once each), and the held-out
/// predictions (hard: scores for an argmax on the host, then the prediction from a fed one-hot
/// pick; soft).
struct Attention {
  scg::Graph g;
  Model hard, soft;
  scg::Var hq, hx, hy, sq, sx, sy, pick, hard_test_scores, hard_test_logit, soft_test_logit;
  std::vector<scg::Var> targets;  // hard grads, soft grads, hard loss, soft loss

  Attention(const Settings& set, Problem& p) {
    scg::Tensor e(T, T * D), r(D, T * D);
    for (int i = 0; i < T; ++i)
      for (int k = 0; k < D; ++k) e(i, i * D + k) = 1.0, r(k, i * D + k) = 1.0;
    const scg::Var E = g.constant(e), R = g.constant(r);
    const Layout l{E, scg::transpose(E), R, scg::transpose(R)};
    hard = model(p, "hard."), soft = model(p, "soft.");
    const int B = set.B, K = set.K;
    hq = g.input("hard.q", B * K, Dk), hx = g.input("hard.x", B * K, T * D), hy = g.input("hard.y", B * K, 1);
    sq = g.input("soft.q", B, Dk), sx = g.input("soft.x", B, T * D), sy = g.input("soft.y", B, 1);
    const scg::Var z = scg::categorical(scores(hard, l, hq, hx));
    const scg::Var hard_loss = mean_log_loss(predict(hard, read(l, z, hx)), hy);
    const scg::Var soft_loss = mean_log_loss(predict(soft, read(l, scg::softmax(scores(soft, l, sq, sx)), sx)), sy);
    scg::GradOptions opt;
    opt.baseline = scg::Baseline::kLeaveOneOut;
    opt.group_size = static_cast<std::size_t>(K);
    targets = scg::grad(hard_loss, hard.params(), opt);
    for (const scg::Var& v : scg::grad(soft_loss, soft.params())) targets.push_back(v);
    targets.push_back(hard_loss);
    targets.push_back(soft_loss);
    const scg::Var tq = g.constant(p.test.q), tx = g.constant(p.test.x);
    pick = g.input("test.pick", set.n_test, T);
    hard_test_scores = scores(hard, l, tq, tx);
    hard_test_logit = predict(hard, read(l, pick, tx));
    soft_test_logit = predict(soft, read(l, scg::softmax(scores(soft, l, tq, tx)), tx));
  }
  Model model(Problem& p, const std::string& tag) {
    scg::Tensor w0(Dk, D);
    for (int a = 0; a < Dk; ++a)
      for (int b = 0; b < D; ++b) w0(a, b) = 0.1 * p.normal(p.rng);
    return Model{g.parameter(tag + "W", w0), g.parameter(tag + "u", scg::Tensor(D, 1)), g.parameter(tag + "c", 0.0)};
  }
};

struct Eval {
  double hard_acc, pick_rate, soft_acc;
};

/// Both models' optimizers and the fed buffers: one minibatch step at a time, and evaluation.
struct Trainer {
  const Settings& set;
  const Attention& a;
  const Data &train, &test;
  scg::Session s;
  scg::Adam hard_opt, soft_opt;
  scg::Tensor hq_t, hx_t, hy_t, sq_t, sx_t, sy_t, pick_t;
  std::vector<scg::Feed> feeds;

  Trainer(const Settings& st, const Attention& at, const Problem& p)
      : set(st), a(at), train(p.train), test(p.test), s(at.g, 7 + st.seed), hard_opt(at.hard.params(), 0.02),
        soft_opt(at.soft.params(), 0.02), hq_t(st.B * st.K, Dk), hx_t(st.B * st.K, T * D), hy_t(st.B * st.K, 1),
        sq_t(st.B, Dk), sx_t(st.B, T * D), sy_t(st.B, 1), pick_t(st.n_test, T),
        feeds{{a.hq, hq_t}, {a.hx, hx_t}, {a.hy, hy_t}, {a.sq, sq_t}, {a.sx, sx_t}, {a.sy, sy_t}} {}

  double accuracy(const scg::Tensor& logit) const {
    int right = 0;
    for (int b = 0; b < set.n_test; ++b) right += (logit(b, 0) > 0) == (test.y(b, 0) > 0.5);
    return static_cast<double>(right) / set.n_test;
  }
  Eval evaluate() {
    const scg::Tensor& sc = s.run(a.hard_test_scores);
    int picked_right = 0;
    for (int b = 0; b < set.n_test; ++b) {
      int best = 0;
      for (int i = 1; i < T; ++i) best = sc(b, i) > sc(b, best) ? i : best;
      for (int i = 0; i < T; ++i) pick_t(b, i) = i == best ? 1.0 : 0.0;
      picked_right += best == test.relevant[b];
    }
    const double hard_acc = accuracy(s.run(a.hard_test_logit, {{a.pick, pick_t}}));
    return Eval{hard_acc, static_cast<double>(picked_right) / set.n_test, accuracy(s.run(a.soft_test_logit))};
  }
  /// One Adam step of both models on B random examples (each also as K consecutive rows);
  /// returns their training losses.
  std::pair<double, double> step(std::mt19937_64& rng) {
    std::uniform_int_distribution<int> example(0, set.n_train - 1);
    for (int b = 0; b < set.B; ++b) {
      const int j = example(rng);
      sq_t.matrix().row(b) = train.q.matrix().row(j);
      sx_t.matrix().row(b) = train.x.matrix().row(j);
      sy_t(b, 0) = train.y(j, 0);
      for (int k = 0; k < set.K; ++k) {
        hq_t.matrix().row(b * set.K + k) = sq_t.matrix().row(b);
        hx_t.matrix().row(b * set.K + k) = sx_t.matrix().row(b);
        hy_t(b * set.K + k, 0) = sy_t(b, 0);
      }
    }
    const auto& v = s.run(a.targets, feeds);
    hard_opt.step({v[0], v[1], v[2]});
    soft_opt.step({v[3], v[4], v[5]});
    return {v[6].item(), v[7].item()};
  }
};

/// Trains for set.steps, evaluating every eval_every steps (a CSV row; a printed line every
/// fifth of the run); returns the last evaluation.
Eval train(const Settings& set, Trainer& t, std::mt19937_64& rng) {
  const std::string path = set.out + "/hard_attention_curves.csv";
  std::ofstream csv = report::open(path);
  csv << "step,hard_train_loss,soft_train_loss,hard_test_acc,hard_test_pick_rate,soft_test_acc\n";
  const int print_every = std::max(1, set.steps / 5 / set.eval_every) * set.eval_every;
  double hard_sum = 0, soft_sum = 0;  // train losses since the last evaluation, over n steps
  int n = 0;
  Eval ev{};
  for (int step = 0; step <= set.steps; ++step) {
    if (step % set.eval_every == 0 || step == set.steps) {
      ev = t.evaluate();
      const std::string hl = n ? std::to_string(hard_sum / n) : "", sl = n ? std::to_string(soft_sum / n) : "";
      csv << step << ',' << hl << ',' << sl << ',' << ev.hard_acc << ',' << ev.pick_rate << ',' << ev.soft_acc << '\n';
      if (step % print_every == 0 || step == set.steps)
        std::printf("  step %5d: train loss hard %5s soft %5s | held-out acc hard %.3f (picks %.3f) soft %.3f\n",
                    step, n ? hl.substr(0, 5).c_str() : "-", n ? sl.substr(0, 5).c_str() : "-", ev.hard_acc,
                    ev.pick_rate, ev.soft_acc);
      hard_sum = soft_sum = 0, n = 0;
    }
    if (step == set.steps) break;
    const auto [hard_loss, soft_loss] = t.step(rng);
    hard_sum += hard_loss, soft_sum += soft_loss, ++n;
  }
  report::close(csv, path);
  return ev;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("hard_attention", [&] {
    const Settings set = parse(argc, argv);
    Problem problem(set);
    const Attention model(set, problem);
    Trainer trainer(set, model, problem);
    std::printf("hard attention: T = %d items of D = %d, %d train / %d held-out examples, "
                "batch %d x K = %d samples, Adam lr 0.02, %d steps\n",
                T, D, set.n_train, set.n_test, set.B, set.K, set.steps);
    const auto t0 = report::Clock::now();
    const Eval ev = train(set, trainer, problem.rng);
    const double seconds = report::seconds_since(t0);

    // Learned = far above chance (accuracy 0.5, picks 1/8): both above 0.95 (quick: 0.85).
    const double need = set.quick ? 0.85 : 0.95;
    const bool learned = ev.hard_acc > need && ev.pick_rate > need;
    std::printf("held-out (%d examples): hard attention accuracy %.3f, picks the relevant item %.3f; "
                "soft attention accuracy %.3f; %.1f s\n",
                set.n_test, ev.hard_acc, ev.pick_rate, ev.soft_acc, seconds);
    std::printf("verdict: hard attention %s (needs accuracy and pick rate > %.2f; chance: 0.5 and 0.125)\n",
                learned ? "learned the task" : "did NOT learn the task", need);
    std::printf("wrote %s/hard_attention_curves.csv\n", set.out.c_str());
    std::printf("{\"example\":\"hard_attention\",\"steps\":%d,\"batch\":%d,\"samples\":%d,\"test_examples\":%d,"
                "\"hard_test_acc\":%.4f,\"hard_pick_rate\":%.4f,\"soft_test_acc\":%.4f,\"seconds\":%.2f,"
                "\"learned\":%s}\n",
                set.steps, set.B, set.K, set.n_test, ev.hard_acc, ev.pick_rate, ev.soft_acc, seconds,
                learned ? "true" : "false");
    return learned ? 0 : 1;
  });
}
