// A variational autoencoder with 200 Bernoulli latent units on Fashion-MNIST, trained by the
// gradient estimator scg::grad builds; the model and the estimators are in vae_model.hpp.
//
// Usage: discrete_vae [--quick] [--epochs E] [--batch B] [--samples K] [--data DIR] [--out DIR]
//                     [--estimator score|disarm|relax|gumbel|st] [--model mlp|linear]
//                     [--binarize static|dynamic] [--kl sampled|analytic] [--variance R]
//                     [--train-images N] [--test-images N] [--checkpoint FILE] [--resume FILE]
//                     [--study STEPS]
//   --estimator E    how the gradient reaches the encoder (vae_model.hpp); default score
//   --model linear   the DisARM paper's linear encoder and decoder (784 -> 200 -> 784)
//   --binarize dynamic  pixels drawn Bernoulli(intensity) every time an image is used
//                    (as in the DisARM and RELAX papers); static: intensity >= 128
//   --kl analytic    the KL to the prior in closed form (scg::kl_divergence) instead of sampled
//   --variance R     first measures the encoder gradient's variance over R runs on one batch,
//                    with the KL sampled and analytic
//   --checkpoint F   saves the whole training state to F after every epoch (atomically)
//   --resume F       continues from F, bit-identically to a run that was never stopped
//   --study STEPS    trains every estimator for STEPS Adam steps from the same start on the
//                    same batches, measuring the encoder gradient's variance along the way;
//                    writes discrete_vae_estimators.csv and a table
//
// Data-parallel (built with scg::mpi): mpirun -np N discrete_vae ... gives each rank 1/N of
// every batch (the same global batch B, so results compare with one rank), seeds rank r's
// session with 7 + r, averages gradients with scg::mpi::allreduce_mean (parameters stay
// identical on every rank), and only rank 0 prints and writes files. The last line reports
// "ranks", "train_images_per_s" and the allreduce's share of the training time.
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <boost/crc.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <random>
#include <optional>
#include <scg/scg.hpp>
#ifdef SCG_EXAMPLE_MPI
#include <boost/mpi.hpp>
#include <scg/mpi.hpp>
#endif
#include <sstream>
#include <string>
#include <vector>

#include "vae_model.hpp"

namespace {

using vae::kLatent;
using vae::kPixels;

// Reads an IDX image file (gzip): n images of 28 x 28 bytes (intensities 0..255).
// Returns false with a message in `err` when the file is missing or malformed.
bool read_images(const std::string& path, std::vector<unsigned char>& out, int& n, std::string& err) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) { err = "cannot open " + path; return false; }
  unsigned char header[16];
  bool ok = gzread(f, header, 16) == 16;
  auto be32 = [&](int i) {
    return (header[i] << 24) | (header[i + 1] << 16) | (header[i + 2] << 8) | header[i + 3];
  };
  if (ok && (be32(0) != 2051 || be32(8) != 28 || be32(12) != 28)) {
    err = path + ": not an IDX file of 28x28 images (magic " + std::to_string(be32(0)) + ")";
    gzclose(f);
    return false;
  }
  n = ok ? be32(4) : 0;
  if (ok && (n <= 0 || n > 1000000)) ok = false;
  if (ok) {
    out.resize(static_cast<std::size_t>(n) * kPixels);
    ok = gzread(f, out.data(), static_cast<unsigned>(out.size())) == static_cast<int>(out.size());
  }
  gzclose(f);
  if (!ok) { err = path + ": truncated or corrupt (expected " + std::to_string(n) + " images)"; return false; }
  return true;
}

/// Binary pixels from intensities: at 128 (static), or drawn Bernoulli(intensity / 255) from
/// `rng` each time (dynamic; the K copies of an image share one draw).
struct Binarizer {
  bool dynamic = false;
  std::mt19937_64 rng{2};
  /// Fills x with images idx[first .. first+B), each repeated K times in consecutive rows.
  void fill(const std::vector<unsigned char>& images, const std::vector<int>& idx, int first, int K, scg::Tensor& x) {
    const int B = static_cast<int>(x.rows()) / K;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int b = 0; b < B; ++b) {
      const unsigned char* img = &images[static_cast<std::size_t>(idx[first + b]) * kPixels];
      for (int p = 0; p < kPixels; ++p) {
        const double v = dynamic ? (u(rng) < img[p] / 255.0 ? 1.0 : 0.0) : (img[p] >= 128 ? 1.0 : 0.0);
        for (int k = 0; k < K; ++k) x(b * K + k, p) = v;
      }
    }
  }
};

/// Total variance (summed over elements) of the encoder's gradient estimates over `runs` runs
/// on the batch xb, at the model's current parameters.
double encoder_variance(scg::Session& s, const vae::Model& m, const scg::Tensor& xb, int runs) {
  std::vector<scg::Tensor> sum, sum2;
  const std::vector<scg::Var> enc(m.grads.begin(), m.grads.begin() + static_cast<long>(m.encoder_params));
  for (int r = 0; r < runs; ++r) {
    const auto& v = s.run(enc, {{m.x, xb}});
    for (std::size_t i = 0; i < enc.size(); ++i) {
      if (r == 0) sum.emplace_back(v[i].shape()), sum2.emplace_back(v[i].shape());
      sum[i].array() += v[i].array();
      sum2[i].array() += v[i].array().square();
    }
  }
  double total = 0;
  for (std::size_t i = 0; i < enc.size(); ++i)
    total += ((sum2[i].array() - sum[i].array().square() / runs) / (runs - 1)).sum();
  return total;
}

/// CRC-32 of every parameter's bytes: equal runs give equal CRCs.
unsigned params_crc(const std::vector<scg::Var>& params) {
  boost::crc_32_type crc;
  for (const auto& p : params)
    crc.process_bytes(p.value().data(), static_cast<std::size_t>(p.value().shape().size()) * sizeof(double));
  return crc.checksum();
}

/// A model, its session and optimizers: one training step at a time.
/// The ranks of an mpirun job (one rank without MPI, or when not launched by mpirun).
struct Ranks {
  int size = 1, rank = 0;
#ifdef SCG_EXAMPLE_MPI
  std::optional<boost::mpi::environment> env;
  std::optional<boost::mpi::communicator> world;
#endif
  double allreduce_seconds = 0;
  /// Averages the tensors over the ranks (nothing with one rank).
  void mean(std::vector<scg::Tensor>& ts) {
#ifdef SCG_EXAMPLE_MPI
    if (world && size > 1) {
      const auto t0 = std::chrono::steady_clock::now();
      scg::mpi::allreduce_mean(ts, *world);
      allreduce_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
#else
    (void)ts;
#endif
  }
};

struct Trainer {
  scg::Graph g;
  vae::Model m;
  scg::Session s;
  scg::Adam adam;
  scg::Adam control_adam;  // relax: the control variate's parameters
  std::vector<scg::Var> targets;
  Ranks* ranks = nullptr;  // several: gradients averaged over the ranks before each step
  std::vector<scg::Tensor> values;
  Trainer(int B, int K, const vae::Options& o, std::uint64_t seed = 7)
      : m(vae::build(g, B, K, 1, o)), s(g, seed), adam(m.params, 1e-3), control_adam(m.control, 1e-2) {
    targets = m.grads;
    targets.push_back(m.mean_elbo);
    targets.insert(targets.end(), m.control_grads.begin(), m.control_grads.end());
  }
  /// One Adam step on the batch xb (this rank's share); returns the batch's mean ELBO.
  double step(const scg::Tensor& xb) {
    const std::vector<scg::Tensor>* v = &s.run(targets, {{m.x, xb}});
    if (ranks && ranks->size > 1) {  // gradients, ELBO and control gradients in one allreduce
      values.assign(v->begin(), v->end());
      ranks->mean(values);
      v = &values;
    }
    const std::size_t n = m.grads.size();
    adam.step(std::vector<scg::Tensor>(v->begin(), v->begin() + static_cast<long>(n)));
    if (!m.control.empty())
      control_adam.step(std::vector<scg::Tensor>(v->begin() + static_cast<long>(n) + 1, v->end()));
    return (*v)[n].item();
  }
};

}  // namespace

int main(int argc, char** argv) {
  // Under mpirun: every rank trains on its share of each batch; rank 0 prints and writes.
  Ranks ranks;
#ifdef SCG_EXAMPLE_MPI
  if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE")) {
    ranks.env.emplace(argc, argv);
    ranks.world.emplace();
    ranks.size = ranks.world->size(), ranks.rank = ranks.world->rank();
  }
#endif
  const bool lead = ranks.rank == 0;
  if (!lead && !std::freopen("/dev/null", "w", stdout)) return 2;
  int epochs = 10, B = 100, K = 4, train_limit = 0, test_limit = 0, variance_runs = 0, study = 0;
  std::string data = "/usr/share/datasets/fashion-mnist", out = ".", kl = "sampled", checkpoint, resume;
  std::string binarize = "static", model_kind = "mlp";
  vae::Options opt;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--quick") quick = true, epochs = 1, train_limit = 3000, test_limit = 1000;
    else if (a == "--epochs") epochs = std::stoi(next());
    else if (a == "--batch") B = std::stoi(next());
    else if (a == "--samples") K = std::stoi(next());
    else if (a == "--data") data = next();
    else if (a == "--out") out = next();
    else if (a == "--kl") kl = next();
    else if (a == "--estimator") opt.estimator = next();
    else if (a == "--model") model_kind = next();
    else if (a == "--binarize") binarize = next();
    else if (a == "--variance") variance_runs = std::stoi(next());
    else if (a == "--train-images") train_limit = std::stoi(next());
    else if (a == "--test-images") test_limit = std::stoi(next());
    else if (a == "--checkpoint") checkpoint = next();
    else if (a == "--resume") resume = next();
    else if (a == "--study") study = std::stoi(next());
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--epochs E] [--batch B] [--samples K] [--data DIR] [--out DIR] "
                   "[--estimator score|disarm|relax|gumbel|st] [--model mlp|linear] [--binarize static|dynamic] "
                   "[--kl sampled|analytic] [--variance R] [--train-images N] [--test-images N] "
                   "[--checkpoint FILE] [--resume FILE] [--study STEPS]\n", argv[0]);
      return 2;
    }
  }
  if (kl != "sampled" && kl != "analytic") { std::fprintf(stderr, "discrete_vae: --kl sampled or analytic\n"); return 2; }
  if (binarize != "static" && binarize != "dynamic") { std::fprintf(stderr, "discrete_vae: --binarize static or dynamic\n"); return 2; }
  if (model_kind != "mlp" && model_kind != "linear") { std::fprintf(stderr, "discrete_vae: --model mlp or linear\n"); return 2; }
  if (K < 2 || B < 1 || epochs < 0) { std::fprintf(stderr, "discrete_vae: need --samples >= 2, --batch >= 1\n"); return 2; }
  if (ranks.size > 1 && (study || variance_runs || !checkpoint.empty() || !resume.empty())) {
    std::fprintf(stderr, "discrete_vae: --study, --variance, --checkpoint and --resume run on one rank only\n");
    return 2;
  }
  if (B % ranks.size != 0) {
    std::fprintf(stderr, "discrete_vae: the batch (%d) must divide evenly over the %d ranks\n", B, ranks.size);
    return 2;
  }
  const int local_batch = B / ranks.size;  // each rank's share of every batch
  opt.analytic_kl = kl == "analytic";
  opt.linear = model_kind == "linear";

  std::vector<unsigned char> train, test;
  int n_train = 0, n_test = 0;
  std::string err;
  if (!read_images(data + "/train-images-idx3-ubyte.gz", train, n_train, err) ||
      !read_images(data + "/t10k-images-idx3-ubyte.gz", test, n_test, err)) {
    std::fprintf(stderr, "discrete_vae: %s\n(install Debian's dataset-fashion-mnist, or pass --data DIR)\n", err.c_str());
    return 2;
  }
  if (train_limit) n_train = std::min(n_train, train_limit);
  if (test_limit) n_test = std::min(n_test, test_limit);
  n_train -= n_train % B, n_test -= n_test % B;
  if (n_train < B) { std::fprintf(stderr, "discrete_vae: fewer than one batch of training images\n"); return 2; }
  std::vector<int> order(static_cast<std::size_t>(std::max(n_train, n_test)));
  std::iota(order.begin(), order.end(), 0);
  scg::Tensor xb(B * K, kPixels);
  Binarizer bin;
  bin.dynamic = binarize == "dynamic";
  if (ranks.size > 1) {
    xb = scg::Tensor(local_batch * K, kPixels);
    bin.rng.seed(2 + static_cast<unsigned>(ranks.rank));  // each rank its own binarization draws
  }

  // ---- the estimator study: every estimator from one start on the same batches ----
  if (study > 0) {
    const std::vector<std::string> names = {"score", "disarm", "relax", "gumbel", "st"};
    const int every = std::max(1, study / 20), measure_runs = quick ? 4 : 16;
    Binarizer fixed;  // the batch the variances are measured on: the first images, static
    scg::Tensor probe(B * K, kPixels);
    fixed.fill(train, order, 0, K, probe);
    std::vector<std::vector<double>> elbo_col, var_col;
    std::vector<double> seconds;
    std::vector<int> at;
    for (const std::string& name : names) {
      vae::Options o = opt;
      o.estimator = name;
      Trainer t(B, K, o);
      Binarizer b = bin;  // the same data for every estimator
      std::mt19937_64 rng(1);
      std::vector<int> shuffled(order.begin(), order.begin() + n_train);
      std::vector<double> elbos, vars;
      double window = 0;
      int batch = n_train / B;
      const auto t0 = std::chrono::steady_clock::now();
      double measuring = 0;
      for (int k = 0; k < study; ++k) {
        if (batch == n_train / B) std::shuffle(shuffled.begin(), shuffled.end(), rng), batch = 0;
        b.fill(train, shuffled, batch++ * B, K, xb);
        window += t.step(xb);
        if ((k + 1) % every == 0) {
          const auto m0 = std::chrono::steady_clock::now();
          elbos.push_back(window / every), window = 0;
          vars.push_back(encoder_variance(t.s, t.m, probe, measure_runs));
          measuring += std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
          if (name == names[0]) at.push_back(k + 1);
        }
      }
      seconds.push_back((std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - measuring) / study);
      std::printf("%-7s steps %d: train ELBO %.1f, encoder gradient variance %.4g, %.1f ms per step\n", name.c_str(),
                  study, elbos.back(), vars.back(), 1e3 * seconds.back());
      std::fflush(stdout);
      elbo_col.push_back(elbos), var_col.push_back(vars);
    }
    std::ofstream csv(out + "/discrete_vae_estimators.csv");
    csv << "step";
    for (const auto& n : names) csv << ',' << n << ":elbo," << n << ":variance";
    csv << '\n';
    for (std::size_t r = 0; r < at.size(); ++r) {
      csv << at[r];
      for (std::size_t e = 0; e < names.size(); ++e) csv << ',' << elbo_col[e][r] << ',' << var_col[e][r];
      csv << '\n';
    }
    std::string json = "{\"example\":\"discrete_vae_study\",\"steps\":" + std::to_string(study) + ",\"model\":\"" +
                       model_kind + "\",\"binarize\":\"" + binarize + "\",\"results\":[";
    for (std::size_t e = 0; e < names.size(); ++e) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "%s{\"estimator\":\"%s\",\"final_train_elbo\":%.3f,\"final_variance\":%.6g,\"ms_per_step\":%.3f}",
                    e ? "," : "", names[e].c_str(), elbo_col[e].back(), var_col[e].back(), 1e3 * seconds[e]);
      json += buf;
    }
    std::printf("%s]}\n", json.c_str());
    return 0;
  }

  // ---- training with one estimator ----
  Trainer tr(local_batch, K, opt, 7 + static_cast<std::uint64_t>(ranks.rank));
  tr.ranks = &ranks;
#ifdef SCG_EXAMPLE_MPI
  if (ranks.size > 1) scg::mpi::broadcast_parameters(tr.g, *ranks.world);
#endif
  auto& g = tr.g;
  auto& s = tr.s;
  const vae::Model& model = tr.m;
  std::mt19937_64 rng(1);
  Binarizer test_bin;  // the test set: static, or drawn once per evaluation from its own stream
  test_bin.dynamic = bin.dynamic;
  test_bin.rng.seed(2 + static_cast<unsigned>(ranks.rank));

  auto test_elbo = [&] {
    double total = 0;
    Binarizer tb = test_bin;  // the same draws at every evaluation
    for (int first = 0; first < n_test; first += B) {
      tb.fill(test, order, first + ranks.rank * local_batch, K, xb);
      total += s.run(model.mean_elbo, {{model.x, xb}}).item();
    }
    std::vector<scg::Tensor> t{scg::Tensor(1, 1, total)};
    ranks.mean(t);  // each rank's share of every batch, averaged
    return t[0].item() / (n_test / B);
  };

  double variance_sampled = 0, variance_analytic = 0;
  if (variance_runs > 1) {
    bin.fill(train, order, 0, K, xb);
    for (bool analytic : {false, true}) {
      vae::Options o = opt;
      o.analytic_kl = analytic;
      Trainer fresh(B, K, o);
      (analytic ? variance_analytic : variance_sampled) = encoder_variance(fresh.s, fresh.m, xb, variance_runs);
    }
    std::printf("encoder gradient variance over %d runs on one batch: KL sampled %.4g, analytic %.4g (%.1fx lower)\n",
                variance_runs, variance_sampled, variance_analytic, variance_sampled / variance_analytic);
  }

  std::printf("discrete VAE (%s): %d train / %d test images, batch %d x K = %d samples, %d latent units, "
              "estimator %s, KL %s, binarization %s\n",
              model_kind.c_str(), n_train, n_test, B, K, kLatent, opt.estimator.c_str(), kl.c_str(), binarize.c_str());
  const bool tty = isatty(fileno(stderr));
  std::vector<int> shuffled(order.begin(), order.begin() + n_train);
  double initial = 0, total_seconds = 0;
  int first_epoch = 1;
  std::ofstream csv;
  if (resume.empty()) {
    if (lead) csv.open(out + "/discrete_vae_curves.csv");
    csv << "epoch,train_elbo,test_elbo,seconds\n";
    initial = test_elbo();
    csv << 0 << ',' << "" << ',' << initial << ",0\n";
    std::printf("epoch 0: test ELBO %.2f nats\n", initial);
  } else {
    // Everything the run's future depends on: parameters, the optimizers' moments, the
    // session's random stream, the data order and its generator, the binarization's
    // generator, the epoch.
    const scg::Checkpoint c = scg::Checkpoint::load(resume);
    c.restore_parameters(g);
    c.restore("adam", tr.adam);
    if (!model.control.empty()) c.restore("control_adam", tr.control_adam);
    c.restore("session", s);
    std::istringstream(c.bytes("data_rng")) >> rng;
    std::istringstream(c.bytes("binarize_rng")) >> bin.rng;
    std::istringstream state(c.bytes("progress"));
    state >> first_epoch >> initial >> total_seconds;
    for (int& i : shuffled) state >> i;
    if (!state) { std::fprintf(stderr, "discrete_vae: %s: malformed progress entry\n", resume.c_str()); return 2; }
    ++first_epoch;
    csv.open(out + "/discrete_vae_curves.csv", std::ios::app);
    std::printf("resumed from %s at epoch %d\n", resume.c_str(), first_epoch - 1);
  }
  double last = initial;
  for (int epoch = first_epoch; epoch <= epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    double train_sum = 0;
    const int batches = n_train / B;
    for (int b = 0; b < batches; ++b) {
      bin.fill(train, shuffled, b * B + ranks.rank * local_batch, K, xb);
      train_sum += tr.step(xb);
      if (tty && lead && (b % 10 == 0 || b + 1 == batches)) {
        const int w = 30, done = (b + 1) * w / batches;
        std::fprintf(stderr, "\r  epoch %d [%s%s] %3d%% ELBO %.1f", epoch, std::string(done, '#').c_str(),
                     std::string(w - done, '.').c_str(), (b + 1) * 100 / batches, train_sum / (b + 1));
      }
    }
    if (tty && lead) std::fprintf(stderr, "\n");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total_seconds += seconds;
    last = test_elbo();
    std::printf("epoch %d: train ELBO %.2f, test ELBO %.2f nats, %.1f s\n", epoch, train_sum / batches, last, seconds);
    csv << epoch << ',' << train_sum / batches << ',' << last << ',' << seconds << '\n';
    std::fflush(stdout);
    if (!checkpoint.empty()) {
      scg::Checkpoint c;
      c.add_parameters(g);
      c.add("adam", tr.adam);
      if (!model.control.empty()) c.add("control_adam", tr.control_adam);
      c.add("session", s);
      std::ostringstream r, br, progress;
      r << rng;
      br << bin.rng;
      progress << epoch << ' ' << std::setprecision(17) << initial << ' ' << total_seconds;
      for (int i : shuffled) progress << ' ' << i;
      c.add("data_rng", r.str());
      c.add("binarize_rng", br.str());
      c.add("progress", progress.str());
      c.save(checkpoint);
    }
  }
  // Learning happened if the test ELBO rose well above its starting value.
  const double need = quick ? 150.0 : 250.0;
  const bool learned = last - initial > need;
  std::printf("verdict: test ELBO %.2f -> %.2f nats (%s; needs a rise of %.0f)\n", initial, last,
              learned ? "learned" : "did NOT learn", need);
  std::printf("{\"example\":\"discrete_vae\",\"ranks\":%d,\"train_images_per_s\":%.1f,\"allreduce_share\":%.4f,"
              "\"epochs\":%d,\"batch\":%d,\"samples\":%d,\"train_images\":%d,"
              "\"test_images\":%d,\"estimator\":\"%s\",\"model\":\"%s\",\"binarize\":\"%s\",\"kl\":\"%s\","
              "\"initial_test_elbo\":%.3f,\"final_test_elbo\":%.3f,\"seconds\":%.2f,"
              "\"seconds_per_epoch\":%.2f,\"encoder_grad_variance_sampled_kl\":%.6g,"
              "\"encoder_grad_variance_analytic_kl\":%.6g,\"params_crc\":\"%08x\",\"learned\":%s}\n",
              ranks.size, total_seconds > 0 ? static_cast<double>(n_train) * epochs / total_seconds : 0.0,
              total_seconds > 0 ? ranks.allreduce_seconds / total_seconds : 0.0,
              epochs, B, K, n_train, n_test, opt.estimator.c_str(), model_kind.c_str(), binarize.c_str(), kl.c_str(),
              initial, last, total_seconds, epochs ? total_seconds / epochs : 0.0, variance_sampled, variance_analytic,
              params_crc(model.params), learned ? "true" : "false");
  return learned ? 0 : 1;
}
