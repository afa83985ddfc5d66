// scg::mpi under mpirun -np 2 (tests/CMakeLists.txt): allreduce_mean averages; the NOT gate's
// gradient estimate averaged over ranks is unbiased with half a rank's exact variance;
// parameters stay bitwise identical over 50 Adam steps on averaged gradients; a parameter
// shape mismatch throws on every rank. Every rank runs every test case in the same order.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <array>
#include <boost/mpi.hpp>
#include <cmath>
#include <scg/mpi.hpp>

#include "stochastic/not_gate_exact.hpp"

namespace {

boost::mpi::communicator* world = nullptr;

/// True on every rank iff `ok` holds on every rank (so all ranks agree on a CHECK).
bool everywhere(bool ok) { return boost::mpi::all_reduce(*world, ok ? 1 : 0, boost::mpi::minimum<int>()) == 1; }

}  // namespace

TEST_CASE("allreduce_mean: every tensor averaged over the ranks, in place, in one call") {
  const int r = world->rank(), n = world->size();
  std::vector<scg::Tensor> ts{scg::Tensor(2, 3, r + 1.0), scg::Tensor(1, 1, 10.0 * r), scg::Tensor(4, 1, -r)};
  ts[0](1, 2) = r == 0 ? 7.0 : 1.0;
  scg::mpi::allreduce_mean(ts, *world);
  const double mean_r = (n - 1) / 2.0;
  CHECK(ts[0](0, 0) == doctest::Approx(mean_r + 1));
  CHECK(ts[0](1, 2) == doctest::Approx((7.0 + (n - 1) * 1.0) / n));
  CHECK(ts[1].item() == doctest::Approx(10 * mean_r));
  CHECK(ts[2](3, 0) == doctest::Approx(-mean_r));
  // Same values on every rank, bit for bit.
  double v = ts[0](1, 2), lo = 0, hi = 0;
  lo = boost::mpi::all_reduce(*world, v, boost::mpi::minimum<double>());
  hi = boost::mpi::all_reduce(*world, v, boost::mpi::maximum<double>());
  CHECK(lo == hi);
}

TEST_CASE("allreduce_mean refuses lists the ranks disagree on, on every rank, and stays paired") {
  const int r = world->rank();
  auto refused = [&](std::vector<scg::Tensor> ts) {
    const std::vector<scg::Tensor> before = ts;
    bool threw = false;
    try {
      scg::mpi::allreduce_mean(ts, *world);
    } catch (const scg::Error& e) {
      threw = std::string(e.what()).find("disagree") != std::string::npos;
    }
    bool same = ts.size() == before.size();
    for (std::size_t i = 0; same && i < ts.size(); ++i) same = ts[i] == before[i];
    return everywhere(threw && same);  // thrown on every rank, nothing changed
  };
  // Sizes 3 and 5 (MPI truncation on one rank, NaN on the other before).
  CHECK(refused({scg::Tensor(r == 0 ? 3 : 5, 1, 1.0 + r)}));
  // Same element count, other shapes.
  CHECK(refused({r == 0 ? scg::Tensor(2, 3, 1.0) : scg::Tensor(3, 2, 1.0)}));
  // Same shapes in another order.
  CHECK(refused(r == 0 ? std::vector<scg::Tensor>{scg::Tensor(1, 2), scg::Tensor(2, 1)}
                       : std::vector<scg::Tensor>{scg::Tensor(2, 1), scg::Tensor(1, 2)}));
  // An empty list on one rank (it used to skip the collective, pairing the next call wrongly).
  CHECK(refused(r == 0 ? std::vector<scg::Tensor>{} : std::vector<scg::Tensor>{scg::Tensor(1, 1)}));
  // The next call is paired right: the mean of 1 + r.
  std::vector<scg::Tensor> ts{scg::Tensor(1, 1, 1.0 + r)};
  scg::mpi::allreduce_mean(ts, *world);
  CHECK(everywhere(ts[0].item() == 1.0 + (world->size() - 1) / 2.0));
  // Empty lists everywhere: nothing to do, no error.
  std::vector<scg::Tensor> none;
  CHECK_NOTHROW(scg::mpi::allreduce_mean(none, *world));
}

TEST_CASE("the NOT gate's estimate averaged over ranks: unbiased, with 1/ranks of one rank's variance") {
  using namespace not_gate_exact;
  scg::Graph g;
  const scg::Var w0 = g.parameter("w0", kW0), b0 = g.parameter("b0", kB0);
  const scg::Var w1 = g.parameter("w1", kW1), b1 = g.parameter("b1", kB1);
  const scg::Var x = g.constant(scg::Tensor::from_rows({{0}, {1}}));
  const scg::Var b = scg::bernoulli(w0 * x + b0);
  const scg::Var cost = scg::sum(scg::square((1.0 - x) - b * scg::sigmoid(w1 * x + b1)));
  const auto est = scg::grad(cost, {w0, b0, w1, b1});
  // The exact variance of one estimate, by enumeration (expectation of the estimator's square).
  std::array<double, 4> var{};
  {
    scg::Session s(g, 1);
    for (int i = 0; i < 4; ++i) {
      const double m = s.run(scg::expectation(est[static_cast<std::size_t>(i)])).item();
      var[static_cast<std::size_t>(i)] = s.run(scg::expectation(est[static_cast<std::size_t>(i)] * est[static_cast<std::size_t>(i)])).item() - m * m;
    }
  }
  scg::Session s(g, scg::mpi::rank_seed(100, *world));
  const int rounds = 20000;
  const auto cf = not_gate_exact::grad();
  std::array<double, 4> sum{}, sum2{};
  std::vector<scg::Tensor> ts(4);
  for (int k = 0; k < rounds; ++k) {
    const auto& v = s.run(est);
    for (int i = 0; i < 4; ++i) ts[static_cast<std::size_t>(i)] = v[static_cast<std::size_t>(i)];
    scg::mpi::allreduce_mean(ts, *world);
    for (int i = 0; i < 4; ++i) {
      const double e = ts[static_cast<std::size_t>(i)].item();
      sum[static_cast<std::size_t>(i)] += e, sum2[static_cast<std::size_t>(i)] += e * e;
    }
  }
  const double n = world->size();
  for (std::size_t i = 0; i < 4; ++i) {
    const double mean = sum[i] / rounds, v = (sum2[i] / rounds - mean * mean) * rounds / (rounds - 1.0);
    INFO("parameter " << i << ": mean " << mean << " exact " << cf[i] << "; variance " << v << ", one rank's exact "
                      << var[i] << " / " << n);
    CHECK(everywhere(std::fabs(mean - cf[i]) <= 5 * std::sqrt(v / rounds)));
    // Relative standard error of a variance estimate from 20000 samples: about 1-2%.
    CHECK(everywhere(std::fabs(v - var[i] / n) <= 0.06 * var[i] / n));
  }
  // The ranks drew different samples: their seeds differ.
  const auto seed = static_cast<long long>(scg::mpi::rank_seed(100, *world));
  CHECK(boost::mpi::all_reduce(*world, seed, boost::mpi::minimum<long long>()) !=
        boost::mpi::all_reduce(*world, seed, boost::mpi::maximum<long long>()));
}

TEST_CASE("broadcast_parameters, then 50 Adam steps on averaged gradients: parameters identical on every rank") {
  scg::Graph g;
  // Each rank starts from its own values; the broadcast makes them rank 0's.
  const scg::Var w = g.parameter("w", scg::Tensor(3, 2, 0.1 * (world->rank() + 1)));
  const scg::Var c = g.parameter("c", scg::Tensor(1, 2, -0.2 * world->rank()));
  scg::mpi::broadcast_parameters(g, *world);
  CHECK(w.value()(0, 0) == doctest::Approx(0.1));
  CHECK(c.value()(0, 1) == 0.0);
  const scg::Var in = g.constant(scg::Tensor::from_rows({{0.5, -1.0, 2.0}, {1.5, 0.3, -0.7}}));
  const scg::Var z = scg::bernoulli(scg::matmul(in, w) + c);
  const scg::Var cost = scg::sum(scg::square(z - 0.3) * scg::sigmoid(scg::matmul(in, w)));
  const auto grads = scg::grad(cost, {w, c});
  scg::Session s(g, scg::mpi::rank_seed(5, *world));
  scg::Adam adam({w, c}, 0.05);
  std::vector<scg::Tensor> gv(2);
  bool identical = true, moved = false;
  for (int step = 0; step < 50; ++step) {
    const auto& v = s.run(grads);
    gv[0] = v[0], gv[1] = v[1];
    scg::mpi::allreduce_mean(gv, *world);
    adam.step(gv);
    for (const scg::Var& p : {w, c})
      for (Eigen::Index k = 0; k < p.value().shape().size(); ++k) {
        const double x = p.value().data()[k];
        identical = identical && boost::mpi::all_reduce(*world, x, boost::mpi::minimum<double>()) ==
                                     boost::mpi::all_reduce(*world, x, boost::mpi::maximum<double>());
      }
  }
  moved = std::fabs(w.value()(0, 0) - 0.1) > 1e-3;
  CHECK(identical);
  CHECK(everywhere(moved));
}

namespace {
/// broadcast_parameters' error message on this rank ("" if it did not throw).
std::string broadcast_error(scg::Graph& g) {
  try {
    scg::mpi::broadcast_parameters(g, *world);
  } catch (const scg::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("broadcast_parameters: a shape or name mismatch throws on every rank, changing nothing") {
  const bool odd = world->rank() % 2 == 1;
  {
    scg::Graph g;
    const scg::Var w = g.parameter("w", scg::Tensor(odd ? 2 : 3, 2, 1.0 + world->rank()));
    const std::string message = broadcast_error(g);
    CHECK(everywhere(!message.empty()));
    if (odd) CHECK(message.find("'w' is 2x2 here and 3x2 on rank 0") != std::string::npos);
    CHECK(w.value()(0, 0) == 1.0 + world->rank());  // unchanged
  }
  {
    scg::Graph g;
    g.parameter(odd ? "v" : "w", 1.0);
    const std::string message = broadcast_error(g);
    CHECK(everywhere(!message.empty()));
    if (odd) CHECK(message.find("'v'") != std::string::npos);
  }
}

int main(int argc, char** argv) {
  boost::mpi::environment env(argc, argv);
  boost::mpi::communicator comm;
  world = &comm;
  doctest::Context context(argc, argv);
  if (comm.rank() != 0) context.setOption("out", "/dev/null");  // one report
  const int failed = context.run();
  // Every rank's verdict: the job fails if any rank failed.
  return boost::mpi::all_reduce(comm, failed ? 1 : 0, boost::mpi::maximum<int>());
}
