// Proves that a warm Session::run makes no heap allocation: global operator new is replaced
// by a counting one, and repeated runs of a compiled plan must not move the count.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>
#include <scg/scg.hpp>

#include "count_malloc.hpp"

namespace {
long allocations() { return scg_alloc::allocations(); }
}  // namespace

TEST_CASE("the counter sees operator new and Eigen's allocations") {
  const long before = allocations();
  auto* p = new std::vector<double>(10);
  Eigen::MatrixXd m(50, 50);
  m.setZero();
  CHECK(allocations() - before >= 3);
  delete p;
  CHECK(m.sum() == 0.0);
}

TEST_CASE("warm runs allocate nothing: deterministic graph with every kind of op") {
  scg::Graph g;
  auto x = g.input("x", 8, 3);
  auto w = g.parameter("w", scg::Tensor(3, 4, 0.1));
  auto b = g.parameter("b", scg::Tensor(1, 4, 0.2));
  auto h = scg::tanh(scg::matmul(x, w) + b);
  auto p = scg::softmax(h) * scg::log_softmax(h) + scg::sigmoid(h) - scg::softplus(h);
  auto cost = scg::mean(scg::square(p)) + scg::sum(scg::relu(h), 0) * 0.5;
  auto loss = scg::sum(cost);
  auto grads = scg::grad(loss, {w, b});
  std::vector<scg::Var> targets{loss, grads[0], grads[1]};
  scg::Tensor xv(8, 3, 0.3);
  std::vector<scg::Feed> feeds{{x, xv}};
  scg::Session s(g, 7);
  for (int i = 0; i < 3; ++i) s.run(targets, feeds);  // warm up: compile and size buffers
  const long before = allocations();
  for (int i = 0; i < 100; ++i) s.run(targets, feeds);
  CHECK(allocations() - before == 0);
}

TEST_CASE("warm runs allocate nothing: stochastic graph with score terms and baselines") {
  scg::Graph g;
  auto x = g.input("x", 16, 1);
  auto w = g.parameter("w", scg::Tensor(1, 1, 0.5));
  auto bern = scg::bernoulli(x * w);
  auto cat = scg::categorical(scg::matmul(x, w) * scg::Tensor::from_rows({{1, 2, 3}}).rows() + 0.0 * x);
  auto z = scg::normal(x * w, w * 0.0 + 1.0);
  auto cost = scg::sum(scg::square(bern - x) + z * w) + scg::sum(cat);
  scg::GradOptions opt;
  opt.baseline = scg::Baseline::kLeaveOneOut;
  auto grads = scg::grad(cost, {w}, opt);
  std::vector<scg::Var> targets{cost, grads[0]};
  scg::Tensor xv(16, 1, 0.7);
  std::vector<scg::Feed> feeds{{x, xv}};
  scg::Session s(g, 11);
  for (int i = 0; i < 3; ++i) s.run(targets, feeds);
  const long before = allocations();
  for (int i = 0; i < 100; ++i) s.run(targets, feeds);
  CHECK(allocations() - before == 0);
}

TEST_CASE("threads: warm runs allocate nothing on the pool; large products as with one thread") {
  // Elementwise ops over 80 000 elements, split into parts the pool's threads share, around a
  // product small enough for Eigen's stack workspace: nothing at any thread count.
  {
    scg::Graph g;
    auto x = g.input("x", 400, 200);
    auto w = g.parameter("w", scg::Tensor(1, 200, 0.01));
    auto h = scg::sigmoid(x * w);
    auto loss = scg::sum(scg::square(scg::bernoulli(h) - h) + scg::log(h));
    auto grads = scg::grad(loss, {w});
    std::vector<scg::Var> targets{loss, grads[0]};
    scg::Tensor xv(400, 200, 0.2);
    std::vector<scg::Feed> feeds{{x, xv}};
    for (std::size_t threads : {1, 2, 3}) {
      CAPTURE(threads);
      scg::Session s(g, 7, scg::SessionOptions{.threads = threads});
      for (int i = 0; i < 3; ++i) s.run(targets, feeds);
      const long before = allocations();
      for (int i = 0; i < 20; ++i) s.run(targets, feeds);
      CHECK(allocations() - before == 0);
    }
  }
  // A product above Eigen's stack limit: on OpenBLAS (SCG_BLAS), whose buffers are kept between
  // calls, nothing once warm; on Eigen, its GEMM workspace per call (bench/NOTES.md,
  // "Allocations"). The parts are the same at every thread count, and so are the allocations.
  scg::Graph g;
  auto x = g.input("x", 400, 300);
  auto w = g.parameter("w", scg::Tensor(300, 200, 0.01));
  auto h = scg::sigmoid(scg::matmul(x, w));
  auto loss = scg::sum(scg::square(scg::bernoulli(h) - h) + scg::log(h));
  auto grads = scg::grad(loss, {w});
  std::vector<scg::Var> targets{loss, grads[0]};
  scg::Tensor xv(400, 300, 0.2);
  std::vector<scg::Feed> feeds{{x, xv}};
  long per_run[3] = {};
  for (std::size_t threads : {1, 2, 3}) {
    scg::Session s(g, 7, scg::SessionOptions{.threads = threads});
    for (int i = 0; i < 3; ++i) s.run(targets, feeds);
    const long before = allocations();
    for (int i = 0; i < 20; ++i) s.run(targets, feeds);
    per_run[threads - 1] = allocations() - before;
  }
  if (std::string(scg::build_info().gemm) == "OpenBLAS")
    CHECK(per_run[0] == 0);
  else
    CHECK(per_run[0] > 0);  // Eigen's workspace, as documented
  CHECK(per_run[1] == per_run[0]);
  CHECK(per_run[2] == per_run[0]);
}
