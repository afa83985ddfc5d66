#pragma once
// The discrete VAE's training machinery (examples/discrete_vae.cpp): a model with its session
// and optimizers stepping on batches, the ranks of an mpirun job averaging its gradients, and
// the measurements (the encoder gradient's variance, a CRC of the parameters).
#include <boost/crc.hpp>
#include <chrono>
#include <optional>
#include <scg/scg.hpp>
#ifdef SCG_EXAMPLE_MPI
#include <boost/mpi.hpp>
#include <scg/mpi.hpp>
#endif
#include <vector>

#include "vae_model.hpp"

namespace vae {

/// Total variance (summed over elements) of the encoder's gradient estimates over `runs` runs
/// on the batch xb, at the model's current parameters.
inline double encoder_variance(scg::Session& s, const Model& m, const scg::Tensor& xb, int runs) {
  std::vector<scg::Tensor> sum, sum2;
  const std::vector<scg::Var> enc(m.grads.begin(),
                                  m.grads.begin() + static_cast<long>(m.encoder_params));
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
inline unsigned params_crc(const std::vector<scg::Var>& params) {
  boost::crc_32_type crc;
  for (const auto& p : params)
    crc.process_bytes(p.value().data(),
                      static_cast<std::size_t>(p.value().shape().size()) * sizeof(double));
  return crc.checksum();
}

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
      allreduce_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
#else
    (void)ts;
#endif
  }
};

/// A model, its session and optimizers: one training step at a time.
struct Trainer {
  scg::Graph g;
  Model m;
  scg::Session s;
  scg::Adam adam;
  scg::Adam control_adam;  // relax: the control variate's parameters
  std::vector<scg::Var> targets;
  Ranks* ranks = nullptr;  // several: gradients averaged over the ranks before each step
  std::vector<scg::Tensor> values;
  Trainer(int B, int K, const Options& o, std::uint64_t seed = 7)
      : m(build(g, B, K, 1, o)),
        s(g, seed, scg::SessionOptions{.threads = static_cast<std::size_t>(o.threads)}),
        adam(m.params, 1e-3),
        control_adam(m.control, 1e-2) {
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

}  // namespace vae
