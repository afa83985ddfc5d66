// A variational autoencoder with 200 Bernoulli latent units on binarized Fashion-MNIST,
// trained by the score-function estimator that scg::grad builds, with a leave-one-out
// baseline over K samples per image. The model is in vae_model.hpp.
//
// Usage: discrete_vae [--quick] [--epochs E] [--batch B] [--samples K] [--data DIR] [--out DIR]
//                     [--kl sampled|analytic] [--variance R] [--train-images N] [--test-images N]
//                     [--checkpoint FILE] [--resume FILE]
//   --kl analytic    the KL to the prior in closed form (scg::kl_divergence) instead of sampled
//   --variance R     first measures the gradient estimator's variance over R runs on one batch,
//                    with the KL sampled and analytic
//   --checkpoint F   saves the whole training state to F after every epoch (atomically)
//   --resume F       continues from F, bit-identically to a run that was never stopped
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <numeric>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include <boost/crc.hpp>

#include "vae_model.hpp"

namespace {

using vae::kLatent;
using vae::kPixels;

// Reads an IDX image file (gzip): n images of 28 x 28 bytes, binarized at 128.
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
  for (auto& p : out) p = p >= 128 ? 1 : 0;
  return true;
}

// Fills x with images idx[first .. first+B), each repeated K times in consecutive rows.
void fill_batch(const std::vector<unsigned char>& images, const std::vector<int>& idx, int first,
                int K, scg::Tensor& x) {
  const int B = static_cast<int>(x.rows()) / K;
  for (int b = 0; b < B; ++b) {
    const unsigned char* img = &images[static_cast<std::size_t>(idx[first + b]) * kPixels];
    for (int k = 0; k < K; ++k)
      for (int p = 0; p < kPixels; ++p) x(b * K + k, p) = img[p];
  }
}

/// Total variance (summed over elements) of the encoder's gradient estimates (We1, be1, We2,
/// be2) over `runs` runs on one batch, for a freshly built model.
double encoder_variance(int B, int K, bool analytic_kl, const scg::Tensor& xb, int runs) {
  scg::Graph g;
  const vae::Model m = vae::build(g, B, K, 1, analytic_kl);
  scg::Session s(g, 11);
  std::vector<scg::Tensor> sum, sum2;
  for (int r = 0; r < runs; ++r) {
    const auto& v = s.run(m.grads, {{m.x, xb}});
    for (std::size_t i = 0; i < 4; ++i) {
      if (r == 0) sum.emplace_back(v[i].shape()), sum2.emplace_back(v[i].shape());
      sum[i].array() += v[i].array();
      sum2[i].array() += v[i].array().square();
    }
  }
  double total = 0;
  for (std::size_t i = 0; i < 4; ++i)
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

}  // namespace

int main(int argc, char** argv) {
  int epochs = 10, B = 100, K = 4, train_limit = 0, test_limit = 0, variance_runs = 0;
  std::string data = "/usr/share/datasets/fashion-mnist", out = ".", kl = "sampled", checkpoint, resume;
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
    else if (a == "--variance") variance_runs = std::stoi(next());
    else if (a == "--train-images") train_limit = std::stoi(next());
    else if (a == "--test-images") test_limit = std::stoi(next());
    else if (a == "--checkpoint") checkpoint = next();
    else if (a == "--resume") resume = next();
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--epochs E] [--batch B] [--samples K] [--data DIR] [--out DIR] "
                   "[--kl sampled|analytic] [--variance R] [--train-images N] [--test-images N] "
                   "[--checkpoint FILE] [--resume FILE]\n", argv[0]);
      return 2;
    }
  }
  if (kl != "sampled" && kl != "analytic") { std::fprintf(stderr, "discrete_vae: --kl sampled or analytic\n"); return 2; }
  if (K < 2 || B < 1 || epochs < 0) { std::fprintf(stderr, "discrete_vae: need --samples >= 2, --batch >= 1\n"); return 2; }

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

  // ---- the model and its gradient estimator, built once ----
  scg::Graph g;
  const vae::Model model = vae::build(g, B, K, 1, kl == "analytic");
  const auto& params = model.params;
  const auto x = model.x;
  const auto mean_elbo = model.mean_elbo;
  std::vector<scg::Var> train_targets(model.grads);
  train_targets.push_back(mean_elbo);
  std::mt19937_64 rng(1);

  scg::Session s(g, 7);
  scg::Adam adam(params, 1e-3);
  scg::Tensor xb(B * K, kPixels);
  std::vector<scg::Feed> feeds{{x, xb}};
  std::vector<int> order(static_cast<std::size_t>(std::max(n_train, n_test)));
  std::iota(order.begin(), order.end(), 0);

  auto test_elbo = [&] {
    double total = 0;
    for (int first = 0; first < n_test; first += B) {
      fill_batch(test, order, first, K, xb);
      total += s.run(mean_elbo, feeds).item();
    }
    return total / (n_test / B);
  };

  double variance_sampled = 0, variance_analytic = 0;
  if (variance_runs > 1) {
    fill_batch(train, order, 0, K, xb);
    variance_sampled = encoder_variance(B, K, false, xb, variance_runs);
    variance_analytic = encoder_variance(B, K, true, xb, variance_runs);
    std::printf("encoder gradient variance over %d runs on one batch: KL sampled %.4g, analytic %.4g (%.1fx lower)\n",
                variance_runs, variance_sampled, variance_analytic, variance_sampled / variance_analytic);
  }

  std::printf("discrete VAE: %d train / %d test images, batch %d x K = %d samples, %d latent units, KL %s\n",
              n_train, n_test, B, K, kLatent, kl.c_str());
  const bool tty = isatty(fileno(stderr));
  std::vector<int> shuffled(order.begin(), order.begin() + n_train);
  double initial = 0, total_seconds = 0;
  int first_epoch = 1;
  std::ofstream csv;
  if (resume.empty()) {
    csv.open(out + "/discrete_vae_curves.csv");
    csv << "epoch,train_elbo,test_elbo,seconds\n";
    initial = test_elbo();
    csv << 0 << ',' << "" << ',' << initial << ",0\n";
    std::printf("epoch 0: test ELBO %.2f nats\n", initial);
  } else {
    // Everything the run's future depends on: parameters, Adam's moments, the session's random
    // stream, the data order's generator and its current order, the epoch.
    const scg::Checkpoint c = scg::Checkpoint::load(resume);
    c.restore_parameters(g);
    c.restore("adam", adam);
    c.restore("session", s);
    std::istringstream(c.bytes("data_rng")) >> rng;
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
      fill_batch(train, shuffled, b * B, K, xb);
      const auto& v = s.run(train_targets, feeds);
      train_sum += v.back().item();
      adam.step(std::vector<scg::Tensor>(v.begin(), v.end() - 1));
      if (tty && (b % 10 == 0 || b + 1 == batches)) {
        const int w = 30, done = (b + 1) * w / batches;
        std::fprintf(stderr, "\r  epoch %d [%s%s] %3d%% ELBO %.1f", epoch, std::string(done, '#').c_str(),
                     std::string(w - done, '.').c_str(), (b + 1) * 100 / batches, train_sum / (b + 1));
      }
    }
    if (tty) std::fprintf(stderr, "\n");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total_seconds += seconds;
    last = test_elbo();
    std::printf("epoch %d: train ELBO %.2f, test ELBO %.2f nats, %.1f s\n", epoch, train_sum / batches, last, seconds);
    csv << epoch << ',' << train_sum / batches << ',' << last << ',' << seconds << '\n';
    std::fflush(stdout);
    if (!checkpoint.empty()) {
      scg::Checkpoint c;
      c.add_parameters(g);
      c.add("adam", adam);
      c.add("session", s);
      std::ostringstream r, progress;
      r << rng;
      progress << epoch << ' ' << std::setprecision(17) << initial << ' ' << total_seconds;
      for (int i : shuffled) progress << ' ' << i;
      c.add("data_rng", r.str());
      c.add("progress", progress.str());
      c.save(checkpoint);
    }
  }
  // Learning happened if the test ELBO rose well above its starting value.
  const double need = quick ? 150.0 : 250.0;
  const bool learned = last - initial > need;
  std::printf("verdict: test ELBO %.2f -> %.2f nats (%s; needs a rise of %.0f)\n", initial, last,
              learned ? "learned" : "did NOT learn", need);
  std::printf("{\"example\":\"discrete_vae\",\"epochs\":%d,\"batch\":%d,\"samples\":%d,\"train_images\":%d,"
              "\"test_images\":%d,\"kl\":\"%s\",\"initial_test_elbo\":%.3f,\"final_test_elbo\":%.3f,\"seconds\":%.2f,"
              "\"seconds_per_epoch\":%.2f,\"encoder_grad_variance_sampled_kl\":%.6g,"
              "\"encoder_grad_variance_analytic_kl\":%.6g,\"params_crc\":\"%08x\",\"learned\":%s}\n",
              epochs, B, K, n_train, n_test, kl.c_str(), initial, last, total_seconds,
              epochs ? total_seconds / epochs : 0.0, variance_sampled, variance_analytic, params_crc(params),
              learned ? "true" : "false");
  return learned ? 0 : 1;
}
