// A variational autoencoder with 200 Bernoulli latent units on Fashion-MNIST, trained by the
// gradient estimator scg::grad builds; the model and the estimators are in vae_model.hpp, the
// data in vae_data.hpp, the training step and the measurements in vae_trainer.hpp.
//
// Usage: discrete_vae [--quick] [--epochs E] [--batch B] [--samples K] [--data DIR] [--out DIR]
//                     [--estimator score|disarm|relax|gumbel|st|vimco] [--objective elbo|iwae]
//                     [--model mlp|linear|nonlinear]
//                     [--binarize static|dynamic] [--kl sampled|analytic] [--variance R]
//                     [--train-images N] [--test-images N] [--checkpoint FILE] [--resume FILE]
//                     [--study STEPS] [--test-samples K]   (--help for more)
//   --estimator E    how the gradient reaches the encoder (vae_model.hpp); default score
//   --model linear   the DisARM paper's linear encoder and decoder (784 -> 200 -> 784)
//   --model nonlinear  the DisARM paper's nonlinear ones (two hidden layers of 200 leaky-ReLU
//                    units each way)
//   --binarize dynamic  pixels drawn Bernoulli(intensity) every time an image is used
//                    (as in the DisARM and RELAX papers); static: intensity >= 128
//   --kl analytic    the KL to the prior in closed form (scg::kl_divergence) instead of sampled
//   --variance R     first measures the encoder gradient's variance over R runs on one batch,
//                    with the KL sampled and analytic
//   --checkpoint F   saves the whole training state to F after every epoch (atomically)
//   --resume F       continues from F, bit-identically to a run that was never stopped
//   --study STEPS    trains every estimator for STEPS Adam steps from the same start on the
//                    same batches, measuring the encoder gradient's variance along the way;
//                    writes discrete_vae_estimators.csv and a table. With --objective iwae:
//                    score, VIMCO, local DisARM (K pairs) and VIMCO at 2K samples (DisARM's
//                    evaluations), each also scored by a --test-samples bound on the test
//                    images at the end; writes discrete_vae_iwae_<model>.csv
//   --objective iwae --estimator disarm  K antithetic pairs per image (2K rows): two K-sample
//                    bounds, each sample's partner its counterfactual (local DisARM)
//
// Data-parallel (built with scg::mpi): mpirun -np N discrete_vae ... gives each rank 1/N of
// every batch (the same global batch B, so results compare with one rank), seeds rank r's
// session with 7 + r, averages gradients with scg::mpi::allreduce_mean (parameters stay
// identical on every rank), and only rank 0 prints and writes files. The last line reports
// "ranks", "train_images_per_s" and the allreduce's share of the training time.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <optional>
#include <random>
#include <scg/scg.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cli.hpp"
#include "report.hpp"
#include "vae_data.hpp"
#include "vae_model.hpp"
#include "vae_trainer.hpp"

namespace {

using vae::Binarizer;
using vae::kLatent;
using vae::kPixels;
using vae::Ranks;
using vae::Trainer;

struct Settings {
  int epochs = 10, B = 100, K = 4, train_limit = 0, test_limit = 0, variance_runs = 0, study = 0;
  int rows = 4;            // rows per image: K, or 2K for the iwae objective with disarm
  int test_samples = 100;  // --study with iwae: the samples of the test bound
  std::string data = "/usr/share/datasets/fashion-mnist", out = ".", kl = "sampled", checkpoint, resume;
  std::string binarize = "static", model_kind = "mlp";
  vae::Options opt;
  bool quick = false;
};

Settings parse(int argc, char** argv, const Ranks& ranks) {
  Settings s;
  cli::Flags f("discrete_vae", "A VAE with 200 Bernoulli latent units on Fashion-MNIST (see the file comment).");
  f.quick_flag(s.quick, "a short run");
  f.integer("epochs", s.epochs, "E", "training epochs", 0, INT_MAX).quick(1);
  f.integer("threads", s.opt.threads, "T", "threads of each rank's training session (0: all cores; results do not depend on it)", 0, 1024);
  f.count("batch", s.B, "B", "images per batch (over all ranks)");
  f.count("samples", s.K, "K", "samples of the latents per image, 2 or more", 2);
  f.text("data", s.data, "DIR", "folder of Fashion-MNIST's gzipped IDX files");
  f.out_dir("out", s.out, "folder for discrete_vae_curves.csv (--study: discrete_vae_estimators.csv)");
  f.choice("estimator", s.opt.estimator, {"score", "disarm", "relax", "gumbel", "st", "vimco"},
           "how the gradient reaches the encoder (iwae: score, vimco or disarm)");
  f.choice("objective", s.opt.objective, {"elbo", "iwae"}, "the ELBO per sample, or the K-sample bound (IWAE) per image");
  f.choice("model", s.model_kind, {"mlp", "linear", "nonlinear"},
           "encoder and decoder: MLPs (one tanh layer of 256), or the DisARM paper's linear or nonlinear ones");
  f.choice("binarize", s.binarize, {"static", "dynamic"}, "pixels: intensity >= 128, or drawn at every use");
  f.choice("kl", s.kl, {"sampled", "analytic"}, "the KL to the prior: sampled, or in closed form");
  f.count("variance", s.variance_runs, "R", "first measure the encoder gradient's variance over R runs (0: no)", 2);
  f.integer("train-images", s.train_limit, "N", "training images at most (0: all)", 0, INT_MAX).quick(3000);
  f.integer("test-images", s.test_limit, "N", "test images at most (0: all)", 0, INT_MAX).quick(1000);
  f.out_file("checkpoint", s.checkpoint, "save the training state to FILE after every epoch");
  f.in_file("resume", s.resume, "continue from FILE, bit-identically");
  f.count("study", s.study, "STEPS", "train every estimator for STEPS steps instead, measuring variances (0: no)");
  f.count("test-samples", s.test_samples, "K", "--study with --objective iwae: samples of the test bound", 1);
  f.parse(argc, argv);
  const bool iwae = s.opt.objective == "iwae";
  if (!iwae && s.opt.estimator == "disarm" && s.K % 2 != 0) f.fail("--estimator disarm needs an even --samples");
  if (iwae && s.opt.estimator != "score" && s.opt.estimator != "vimco" && s.opt.estimator != "disarm")
    f.fail("--objective iwae takes --estimator score, vimco or disarm");
  if (!iwae && s.opt.estimator == "vimco") f.fail("--estimator vimco needs --objective iwae");
  if (iwae && s.kl == "analytic") f.fail("--objective iwae samples the KL (no --kl analytic)");
  if (iwae && s.variance_runs) f.fail("--variance compares the sampled and analytic KL of the ELBO (no --objective iwae)");
  if (ranks.size > 1 && (s.study || s.variance_runs || !s.checkpoint.empty() || !s.resume.empty()))
    f.fail("--study, --variance, --checkpoint and --resume run on one rank only");
  if (s.B % ranks.size != 0)
    f.fail("the batch (" + std::to_string(s.B) + ") must divide evenly over the " + std::to_string(ranks.size) +
           " ranks");
  s.opt.analytic_kl = s.kl == "analytic";
  s.opt.model = s.model_kind;
  s.rows = vae::rows_per_image(s.opt, s.K);
  return s;
}

/// The images, or a message and status 2.
vae::Data load(const Settings& set) {
  vae::Data d;
  std::string err;
  if (!vae::load_data(set.data, set.train_limit, set.test_limit, set.B, d, err)) {
    std::fprintf(stderr, "discrete_vae: %s\n", err.c_str());
    throw cli::Exit{2};
  }
  return d;
}

// ---- the estimator study: every estimator from one start on the same batches ----

struct StudyColumn {
  std::vector<double> elbos, vars;  // every `every` steps: the mean train ELBO, the variance
  std::vector<int> at;              // the steps they were measured at
  double seconds = 0;               // per step, the measuring left out
  double test_bound = 0;            // iwae: the --test-samples bound on the test images at the end
};

/// One estimator of the study: its name, options and samples per bound.
struct StudyEntry {
  std::string name;
  vae::Options opt;
  int K;
};

/// The mean --test-samples bound over the test images (dynamic binarization drawn from one
/// fixed stream, the same for every estimator), with the trained parameters copied into a
/// model built without gradients.
double test_bound(const Settings& set, const vae::Data& d, const Trainer& t) {
  vae::Options o = set.opt;
  o.estimator = "score";
  o.gradients = false;
  const int B = std::gcd(set.B, 10);  // divides the test set (cut to whole batches of set.B)
  scg::Graph g;
  const vae::Model m = vae::build(g, B, set.test_samples, 1, o);
  for (std::size_t i = 0; i < m.params.size(); ++i) m.params[i].set_value(t.m.params[i].value());
  scg::Session s(g, 11);
  Binarizer tb;
  tb.dynamic = set.binarize == "dynamic";
  tb.rng.seed(3);
  scg::Tensor xb(B * set.test_samples, kPixels);
  double total = 0;
  for (int first = 0; first < d.n_test; first += B) {
    tb.fill(d.test, d.order, first, set.test_samples, xb);
    total += s.run(m.mean_elbo, {{m.x, xb}}).item();
  }
  return total / (d.n_test / B);
}

StudyColumn study_one(const Settings& set, const vae::Data& d, const Binarizer& bin, const StudyEntry& e) {
  const int every = std::max(1, set.study / 20), measure_runs = set.quick ? 4 : 16, B = set.B;
  const int rows = vae::rows_per_image(e.opt, e.K);
  Trainer t(B, e.K, e.opt);
  Binarizer b = bin;  // the same data for every estimator
  Binarizer fixed;    // the batch the variances are measured on: the first images, static
  scg::Tensor xb(B * rows, kPixels), probe(B * rows, kPixels);
  fixed.fill(d.train, d.order, 0, rows, probe);
  std::mt19937_64 rng(1);
  std::vector<int> shuffled(d.order.begin(), d.order.begin() + d.n_train);
  StudyColumn col;
  double window = 0, measuring = 0;
  int batch = d.n_train / B;
  const auto t0 = report::Clock::now();
  for (int k = 0; k < set.study; ++k) {
    if (batch == d.n_train / B) std::shuffle(shuffled.begin(), shuffled.end(), rng), batch = 0;
    b.fill(d.train, shuffled, batch++ * B, rows, xb);
    window += t.step(xb);
    if ((k + 1) % every == 0) {
      const auto m0 = report::Clock::now();
      col.elbos.push_back(window / every), window = 0;
      col.vars.push_back(vae::encoder_variance(t.s, t.m, probe, measure_runs));
      measuring += report::seconds_since(m0);
      col.at.push_back(k + 1);
    }
  }
  col.seconds = (report::seconds_since(t0) - measuring) / set.study;
  const bool iwae = set.opt.objective == "iwae";
  if (iwae) col.test_bound = test_bound(set, d, t);
  std::printf("%-8s steps %d: train %s %.1f, encoder gradient variance %.4g, %.1f ms per step", e.name.c_str(),
              set.study, iwae ? "bound" : "ELBO", col.elbos.back(), col.vars.back(), 1e3 * col.seconds);
  if (iwae) std::printf(", %d-sample test bound %.2f", set.test_samples, col.test_bound);
  std::printf("\n");
  std::fflush(stdout);
  return col;
}

/// The study's CSV (discrete_vae_estimators.csv; iwae: discrete_vae_iwae_<model>.csv), and the
/// JSON line.
void write_study(const Settings& set, const std::vector<StudyEntry>& entries, const std::vector<StudyColumn>& cols) {
  const bool iwae = set.opt.objective == "iwae";
  const std::string path =
      set.out + (iwae ? "/discrete_vae_iwae_" + set.model_kind + ".csv" : "/discrete_vae_estimators.csv");
  std::ofstream csv = report::open(path);
  csv << "step";
  for (const auto& e : entries) csv << ',' << e.name << ":elbo," << e.name << ":variance";
  csv << '\n';
  for (std::size_t r = 0; r < cols[0].at.size(); ++r) {
    csv << cols[0].at[r];
    for (const StudyColumn& c : cols) csv << ',' << c.elbos[r] << ',' << c.vars[r];
    csv << '\n';
  }
  if (iwae) {  // one last row: the test bounds, at step -1
    csv << -1;
    for (const StudyColumn& c : cols) csv << ',' << c.test_bound << ',';
    csv << '\n';
  }
  report::close(csv, path);
  std::string json = "{\"example\":\"discrete_vae_study\",\"steps\":" + std::to_string(set.study) + ",\"model\":\"" +
                     set.model_kind + "\",\"objective\":\"" + set.opt.objective + "\",\"batch\":" +
                     std::to_string(set.B) + ",\"samples\":" + std::to_string(set.K) + ",\"binarize\":\"" +
                     set.binarize + "\",\"results\":[";
  for (std::size_t e = 0; e < entries.size(); ++e) {
    char buf[300];
    std::snprintf(buf, sizeof buf,
                  "%s{\"estimator\":\"%s\",\"samples\":%d,\"final_train_elbo\":%.3f,\"final_variance\":%.6g,"
                  "\"ms_per_step\":%.3f,\"test_bound\":%.3f}",
                  e ? "," : "", entries[e].name.c_str(), entries[e].K, cols[e].elbos.back(), cols[e].vars.back(),
                  1e3 * cols[e].seconds, cols[e].test_bound);
    json += buf;
  }
  std::printf("%s]}\n", json.c_str());
}

int study(const Settings& set, const vae::Data& d, const Binarizer& bin) {
  std::vector<StudyEntry> entries;
  auto add = [&](const std::string& name, const std::string& estimator, int K) {
    vae::Options o = set.opt;
    o.estimator = estimator;
    entries.push_back({name, o, K});
  };
  if (set.opt.objective == "iwae") {
    add("score", "score", set.K);
    add("vimco", "vimco", set.K);
    add("disarm", "disarm", set.K);                    // K pairs: 2K evaluations
    add("vimco-2K", "vimco", 2 * set.K);               // VIMCO at DisARM's evaluations
  } else {
    for (const char* n : {"score", "disarm", "relax", "gumbel", "st"}) add(n, n, set.K);
  }
  std::vector<StudyColumn> cols;
  for (const StudyEntry& e : entries) cols.push_back(study_one(set, d, bin, e));
  write_study(set, entries, cols);
  return 0;
}

/// --variance R: the encoder gradient's variance on the first batch at initialization, with the
/// KL sampled and analytic ({0, 0} without --variance).
std::pair<double, double> measure_variance(const Settings& set, const vae::Data& d, Binarizer& bin, scg::Tensor& xb) {
  double v[2] = {0, 0};
  if (set.variance_runs < 2) return {0, 0};
  bin.fill(d.train, d.order, 0, set.rows, xb);
  for (bool analytic : {false, true}) {
    vae::Options o = set.opt;
    o.analytic_kl = analytic;
    Trainer fresh(set.B, set.K, o);
    v[analytic] = vae::encoder_variance(fresh.s, fresh.m, xb, set.variance_runs);
  }
  std::printf("encoder gradient variance over %d runs on one batch: KL sampled %.4g, analytic %.4g (%.1fx lower)\n",
              set.variance_runs, v[0], v[1], v[0] / v[1]);
  return {v[0], v[1]};
}

// ---- training with one estimator ----

/// One training run: the trainer and everything else its future depends on (the data order and
/// its generator, the binarization's generator, the epoch), saved to and restored from a
/// checkpoint.
struct Run {
  const Settings& set;
  const vae::Data& d;
  Ranks& ranks;
  const int local_batch;  // each rank's share of every batch
  Trainer tr;
  std::mt19937_64 rng{1};
  Binarizer test_bin;  // the test set: static, or drawn once per evaluation from its own stream
  std::vector<int> shuffled;
  double initial = 0, last = 0, total_seconds = 0;
  int first_epoch = 1;
  std::optional<std::mt19937_64> resumed_bin_rng;  // a resumed run's binarization generator
  std::ofstream csv;

  Run(const Settings& s, const vae::Data& data, Ranks& r, const scg::Checkpoint* resume)
      : set(s), d(data), ranks(r), local_batch(s.B / r.size), tr(local_batch, s.K, s.opt, 7 + static_cast<std::uint64_t>(r.rank)),
        shuffled(data.order.begin(), data.order.begin() + data.n_train) {
    tr.ranks = &ranks;
#ifdef SCG_EXAMPLE_MPI
    if (ranks.size > 1) scg::mpi::broadcast_parameters(tr.g, *ranks.world);
#endif
    test_bin.dynamic = set.binarize == "dynamic";
    test_bin.rng.seed(2 + static_cast<unsigned>(ranks.rank));
    if (resume) restore(*resume);
  }

  /// Restores the state saved by save(); throws scg::Error or std::runtime_error naming the
  /// file when it does not fit this run.
  void restore(const scg::Checkpoint& c) {
    c.restore_parameters(tr.g);
    c.restore("adam", tr.adam);
    if (!tr.m.control.empty()) c.restore("control_adam", tr.control_adam);
    c.restore("session", tr.s);
    auto bad = [&](const std::string& what) { return std::runtime_error(set.resume + ": " + what); };
    if (!(std::istringstream(c.bytes("data_rng")) >> rng)) throw bad("malformed data_rng entry");
    resumed_bin_rng.emplace();
    if (!(std::istringstream(c.bytes("binarize_rng")) >> *resumed_bin_rng)) throw bad("malformed binarize_rng entry");
    std::istringstream state(c.bytes("progress"));
    state >> first_epoch >> initial >> total_seconds;
    const char* misfit = "malformed progress entry, or one of another number of training images";
    for (int& i : shuffled)
      if (!(state >> i) || i < 0 || i >= d.n_train) throw bad(misfit);
    if (!state || !(state >> std::ws).eof()) throw bad(misfit);
    ++first_epoch;
  }

  void save(int epoch, const Binarizer& bin) const {
    scg::Checkpoint c;
    c.add_parameters(tr.g);
    c.add("adam", tr.adam);
    if (!tr.m.control.empty()) c.add("control_adam", tr.control_adam);
    c.add("session", tr.s);
    std::ostringstream r, br, progress;
    r << rng;
    br << bin.rng;
    progress << epoch << ' ' << std::setprecision(17) << initial << ' ' << total_seconds;
    for (int i : shuffled) progress << ' ' << i;
    c.add("data_rng", r.str());
    c.add("binarize_rng", br.str());
    c.add("progress", progress.str());
    c.save(set.checkpoint);
  }

  double test_elbo(scg::Tensor& xb) {
    double total = 0;
    Binarizer tb = test_bin;  // the same draws at every evaluation
    for (int first = 0; first < d.n_test; first += set.B) {
      tb.fill(d.test, d.order, first + ranks.rank * local_batch, set.rows, xb);
      total += tr.s.run(tr.m.mean_elbo, {{tr.m.x, xb}}).item();
    }
    std::vector<scg::Tensor> t{scg::Tensor(1, 1, total)};
    ranks.mean(t);  // each rank's share of every batch, averaged
    return t[0].item() / (d.n_test / set.B);
  }

  /// Epoch 0 (the test ELBO at initialization), or the resumed run's state.
  void start(Binarizer& bin, scg::Tensor& xb) {
    const std::string path = set.out + "/discrete_vae_curves.csv";
    if (!resumed_bin_rng) {
      if (ranks.rank == 0) csv = report::open(path);
      csv << "epoch,train_elbo,test_elbo,seconds\n";
      initial = test_elbo(xb);
      csv << 0 << ',' << "" << ',' << initial << ",0\n";
      std::printf("epoch 0: test ELBO %.2f nats\n", initial);
    } else {
      bin.rng = *resumed_bin_rng;
      csv = report::open(path, std::ios::app);
      std::printf("resumed from %s at epoch %d\n", set.resume.c_str(), first_epoch - 1);
    }
    last = initial;
  }

  /// One epoch over the shuffled training images (a progress bar on a terminal).
  void epoch(int e, Binarizer& bin, scg::Tensor& xb) {
    const bool bar = ranks.rank == 0 && isatty(fileno(stderr));
    const auto t0 = report::Clock::now();
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    double train_sum = 0;
    const int batches = d.n_train / set.B;
    for (int b = 0; b < batches; ++b) {
      bin.fill(d.train, shuffled, b * set.B + ranks.rank * local_batch, set.rows, xb);
      train_sum += tr.step(xb);
      if (bar && (b % 10 == 0 || b + 1 == batches)) {
        const int w = 30, done = (b + 1) * w / batches;
        std::fprintf(stderr, "\r  epoch %d [%s%s] %3d%% ELBO %.1f", e, std::string(done, '#').c_str(),
                     std::string(w - done, '.').c_str(), (b + 1) * 100 / batches, train_sum / (b + 1));
      }
    }
    if (bar) std::fprintf(stderr, "\n");
    const double seconds = report::seconds_since(t0);
    total_seconds += seconds;
    last = test_elbo(xb);
    std::printf("epoch %d: train ELBO %.2f, test ELBO %.2f nats, %.1f s\n", e, train_sum / batches, last, seconds);
    csv << e << ',' << train_sum / batches << ',' << last << ',' << seconds << '\n';
    std::fflush(stdout);
    if (!set.checkpoint.empty()) save(e, bin);
  }

  /// The verdict and the JSON line; returns the exit status.
  int finish(const std::pair<double, double>& variance) {
    if (ranks.rank == 0) report::close(csv, set.out + "/discrete_vae_curves.csv");
    // Learning happened if the test ELBO rose well above its starting value.
    const double need = set.quick ? 150.0 : 250.0;
    const bool learned = last - initial > need;
    std::printf("verdict: test ELBO %.2f -> %.2f nats (%s; needs a rise of %.0f)\n", initial, last,
                learned ? "learned" : "did NOT learn", need);
    std::printf("{\"example\":\"discrete_vae\",\"ranks\":%d,\"train_images_per_s\":%.1f,\"allreduce_share\":%.4f,"
                "\"epochs\":%d,\"batch\":%d,\"samples\":%d,\"train_images\":%d,"
                "\"test_images\":%d,\"objective\":\"%s\",\"estimator\":\"%s\",\"model\":\"%s\",\"binarize\":\"%s\",\"kl\":\"%s\","
                "\"initial_test_elbo\":%.3f,\"final_test_elbo\":%.3f,\"seconds\":%.2f,"
                "\"seconds_per_epoch\":%.2f,\"encoder_grad_variance_sampled_kl\":%.6g,"
                "\"encoder_grad_variance_analytic_kl\":%.6g,\"params_crc\":\"%08x\",\"learned\":%s}\n",
                ranks.size, total_seconds > 0 ? static_cast<double>(d.n_train) * set.epochs / total_seconds : 0.0,
                total_seconds > 0 ? ranks.allreduce_seconds / total_seconds : 0.0, set.epochs, set.B, set.K,
                d.n_train, d.n_test, set.opt.objective.c_str(), set.opt.estimator.c_str(), set.model_kind.c_str(),
                set.binarize.c_str(), set.kl.c_str(), initial, last, total_seconds, set.epochs ? total_seconds / set.epochs : 0.0,
                variance.first, variance.second, vae::params_crc(tr.m.params), learned ? "true" : "false");
    return learned ? 0 : 1;
  }
};

/// Under mpirun: every rank trains on its share of each batch; rank 0 prints and writes.
void join_ranks(Ranks& ranks, int& argc, char**& argv) {
#ifdef SCG_EXAMPLE_MPI
  if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE")) {
    ranks.env.emplace(argc, argv);
    ranks.world.emplace();
    ranks.size = ranks.world->size(), ranks.rank = ranks.world->rank();
  }
#else
  (void)ranks, (void)argc, (void)argv;
#endif
  if (ranks.rank != 0 && !std::freopen("/dev/null", "w", stdout)) throw cli::Exit{2};
}

}  // namespace

int main(int argc, char** argv) {
  Ranks ranks;  // outlives cli::run's body: MPI is finalized after any exit from it
  return cli::run("discrete_vae", [&] {
    join_ranks(ranks, argc, argv);
    const Settings set = parse(argc, argv, ranks);
    std::optional<scg::Checkpoint> resume;  // read (and checked) before anything else is done
    if (!set.resume.empty()) resume = scg::Checkpoint::load(set.resume);
    const vae::Data d = load(set);
    scg::Tensor xb(set.B / ranks.size * set.rows, kPixels);
    Binarizer bin;
    bin.dynamic = set.binarize == "dynamic";
    if (ranks.size > 1) bin.rng.seed(2 + static_cast<unsigned>(ranks.rank));  // each rank its own draws
    if (set.study > 0) return study(set, d, bin);

    Run run(set, d, ranks, resume ? &*resume : nullptr);
    const auto variance = measure_variance(set, d, bin, xb);
    std::printf("discrete VAE (%s): %d train / %d test images, batch %d x K = %d samples, %d latent units, "
                "objective %s, estimator %s, KL %s, binarization %s\n",
                set.model_kind.c_str(), d.n_train, d.n_test, set.B, set.K, kLatent, set.opt.objective.c_str(),
                set.opt.estimator.c_str(), set.kl.c_str(), set.binarize.c_str());
    run.start(bin, xb);
    for (int epoch = run.first_epoch; epoch <= set.epochs; ++epoch) run.epoch(epoch, bin, xb);
    return run.finish(variance);
  });
}
