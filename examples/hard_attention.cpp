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
// Usage: hard_attention [--quick] [--steps S] [--seed N] [--out DIR]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <scg/scg.hpp>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
  int steps = 3000, B = 32, K = 8, n_train = 20000, n_test = 5000, eval_every = 50;
  bool quick = false;
  unsigned seed = 0;  // shifts both the data's and the session's seed
  std::string out = ".";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true, steps = 300, n_test = 1000, eval_every = 25;
    else if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) steps = std::stoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::stoul(argv[++i]);
    else if (!std::strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else { std::fprintf(stderr, "usage: %s [--quick] [--steps S] [--seed N] [--out DIR]\n", argv[0]); return 2; }
  }

  // ---- data, from a fixed seed ----
  std::mt19937_64 rng(2024 + seed);
  double w_star[D - Dk], norm = 0;
  std::normal_distribution<double> normal;
  for (double& w : w_star) w = normal(rng), norm += w * w;
  for (double& w : w_star) w /= std::sqrt(norm);
  const Data train = make_data(n_train, w_star, rng), test = make_data(n_test, w_star, rng);

  // ---- the graph, built once ----
  scg::Graph g;
  scg::Tensor e(T, T * D), r(D, T * D);
  for (int i = 0; i < T; ++i)
    for (int k = 0; k < D; ++k) e(i, i * D + k) = 1.0, r(k, i * D + k) = 1.0;
  const scg::Var E = g.constant(e), R = g.constant(r);
  const Layout l{E, scg::transpose(E), R, scg::transpose(R)};
  auto model = [&](const std::string& tag) {
    scg::Tensor w0(Dk, D);
    for (int a = 0; a < Dk; ++a)
      for (int b = 0; b < D; ++b) w0(a, b) = 0.1 * normal(rng);
    return Model{g.parameter(tag + "W", w0), g.parameter(tag + "u", scg::Tensor(D, 1)),
                 g.parameter(tag + "c", 0.0)};
  };
  const Model hard = model("hard."), soft = model("soft.");
  // Training: hard on B examples x K samples (rows), soft on the same B examples once each.
  const scg::Var hq = g.input("hard.q", B * K, Dk), hx = g.input("hard.x", B * K, T * D),
                 hy = g.input("hard.y", B * K, 1), sq = g.input("soft.q", B, Dk),
                 sx = g.input("soft.x", B, T * D), sy = g.input("soft.y", B, 1);
  const scg::Var z = scg::categorical(scores(hard, l, hq, hx));
  const scg::Var hard_loss = mean_log_loss(predict(hard, read(l, z, hx)), hy);
  const scg::Var soft_loss =
      mean_log_loss(predict(soft, read(l, scg::softmax(scores(soft, l, sq, sx)), sx)), sy);
  scg::GradOptions opt;
  opt.baseline = scg::Baseline::kLeaveOneOut;
  opt.group_size = static_cast<std::size_t>(K);
  std::vector<scg::Var> targets = scg::grad(hard_loss, hard.params(), opt);
  for (const scg::Var& v : scg::grad(soft_loss, soft.params())) targets.push_back(v);
  targets.push_back(hard_loss);
  targets.push_back(soft_loss);
  // Held-out: hard scores (argmax on the host), hard prediction from a fed one-hot pick,
  // soft prediction.
  const scg::Var tq = g.constant(test.q), tx = g.constant(test.x);
  const scg::Var pick = g.input("test.pick", n_test, T);
  const scg::Var hard_test_scores = scores(hard, l, tq, tx);
  const scg::Var hard_test_logit = predict(hard, read(l, pick, tx));
  const scg::Var soft_test_logit = predict(soft, read(l, scg::softmax(scores(soft, l, tq, tx)), tx));

  scg::Session s(g, 7 + seed);
  scg::Adam hard_opt(hard.params(), 0.02), soft_opt(soft.params(), 0.02);
  scg::Tensor hq_t(B * K, Dk), hx_t(B * K, T * D), hy_t(B * K, 1), sq_t(B, Dk), sx_t(B, T * D),
      sy_t(B, 1), pick_t(n_test, T);
  const std::vector<scg::Feed> feeds{{hq, hq_t}, {hx, hx_t}, {hy, hy_t},
                                     {sq, sq_t}, {sx, sx_t}, {sy, sy_t}};
  auto accuracy = [&](const scg::Tensor& logit) {
    int right = 0;
    for (int b = 0; b < n_test; ++b) right += (logit(b, 0) > 0) == (test.y(b, 0) > 0.5);
    return static_cast<double>(right) / n_test;
  };
  struct Eval { double hard_acc, pick_rate, soft_acc; };
  auto evaluate = [&] {
    const scg::Tensor& sc = s.run(hard_test_scores);
    int picked_right = 0;
    for (int b = 0; b < n_test; ++b) {
      int best = 0;
      for (int i = 1; i < T; ++i) best = sc(b, i) > sc(b, best) ? i : best;
      for (int i = 0; i < T; ++i) pick_t(b, i) = i == best ? 1.0 : 0.0;
      picked_right += best == test.relevant[b];
    }
    const double hard_acc = accuracy(s.run(hard_test_logit, {{pick, pick_t}}));
    return Eval{hard_acc, static_cast<double>(picked_right) / n_test, accuracy(s.run(soft_test_logit))};
  };

  std::ofstream csv(out + "/hard_attention_curves.csv");
  csv << "step,hard_train_loss,soft_train_loss,hard_test_acc,hard_test_pick_rate,soft_test_acc\n";
  std::printf("hard attention: T = %d items of D = %d, %d train / %d held-out examples, "
              "batch %d x K = %d samples, Adam lr 0.02, %d steps\n", T, D, n_train, n_test, B, K, steps);
  const auto t0 = std::chrono::steady_clock::now();
  std::uniform_int_distribution<int> example(0, n_train - 1);
  const int print_every = std::max(1, steps / 5 / eval_every) * eval_every;
  double hard_sum = 0, soft_sum = 0;  // train losses since the last evaluation, over n steps
  int n = 0;
  Eval ev{};
  for (int step = 0; step <= steps; ++step) {
    if (step % eval_every == 0 || step == steps) {
      ev = evaluate();
      const std::string hl = n ? std::to_string(hard_sum / n) : "", sl = n ? std::to_string(soft_sum / n) : "";
      csv << step << ',' << hl << ',' << sl << ',' << ev.hard_acc << ',' << ev.pick_rate << ','
          << ev.soft_acc << '\n';
      if (step % print_every == 0 || step == steps)
        std::printf("  step %5d: train loss hard %5s soft %5s | held-out acc hard %.3f (picks %.3f) soft %.3f\n",
                    step, n ? hl.substr(0, 5).c_str() : "-", n ? sl.substr(0, 5).c_str() : "-", ev.hard_acc,
                    ev.pick_rate, ev.soft_acc);
      hard_sum = soft_sum = 0, n = 0;
    }
    if (step == steps) break;
    for (int b = 0; b < B; ++b) {  // a minibatch: B examples, each also as K consecutive rows
      const int j = example(rng);
      sq_t.matrix().row(b) = train.q.matrix().row(j);
      sx_t.matrix().row(b) = train.x.matrix().row(j);
      sy_t(b, 0) = train.y(j, 0);
      for (int k = 0; k < K; ++k) {
        hq_t.matrix().row(b * K + k) = sq_t.matrix().row(b);
        hx_t.matrix().row(b * K + k) = sx_t.matrix().row(b);
        hy_t(b * K + k, 0) = sy_t(b, 0);
      }
    }
    const auto& v = s.run(targets, feeds);
    hard_opt.step({v[0], v[1], v[2]});
    soft_opt.step({v[3], v[4], v[5]});
    hard_sum += v[6].item(), soft_sum += v[7].item(), ++n;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Learned = far above chance (accuracy 0.5, picks 1/8): both above 0.95 (quick: 0.85).
  const double need = quick ? 0.85 : 0.95;
  const bool learned = ev.hard_acc > need && ev.pick_rate > need;
  std::printf("held-out (%d examples): hard attention accuracy %.3f, picks the relevant item %.3f; "
              "soft attention accuracy %.3f; %.1f s\n", n_test, ev.hard_acc, ev.pick_rate, ev.soft_acc, seconds);
  std::printf("verdict: hard attention %s (needs accuracy and pick rate > %.2f; chance: 0.5 and 0.125)\n",
              learned ? "learned the task" : "did NOT learn the task", need);
  std::printf("wrote %s/hard_attention_curves.csv\n", out.c_str());
  std::printf("{\"example\":\"hard_attention\",\"steps\":%d,\"batch\":%d,\"samples\":%d,\"test_examples\":%d,"
              "\"hard_test_acc\":%.4f,\"hard_pick_rate\":%.4f,\"soft_test_acc\":%.4f,\"seconds\":%.2f,"
              "\"learned\":%s}\n", steps, B, K, n_test, ev.hard_acc, ev.pick_rate, ev.soft_acc, seconds,
              learned ? "true" : "false");
  return learned ? 0 : 1;
}
