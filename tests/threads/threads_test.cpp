// SessionOptions::threads: the pool (every index once, exceptions carried to the caller, reuse
// after one), and sessions with 1, 2, 3 and hardware-concurrency threads giving bitwise the
// same values, gradients and samples on a graph whose products and elementwise ops are large
// enough to be split over the pool (a discrete-VAE-like layer pair with a Bernoulli middle,
// sums along each axis and broadcasts back).
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <numeric>
#include <scg/scg.hpp>
#include <stdexcept>
#include <vector>

#include "scg/core/detail/thread_pool.hpp"

TEST_CASE("thread pool: every index runs once; exceptions reach the caller; reusable") {
  scg::detail::ThreadPool pool(3);
  CHECK(pool.size() == 3);
  for (std::size_t n : {0u, 1u, 2u, 7u, 1000u}) {
    std::vector<std::atomic<int>> hits(n);
    pool.for_each(n, [&](std::size_t i) { hits[i].fetch_add(1); });
    for (std::size_t i = 0; i < n; ++i) CHECK(hits[i].load() == 1);
  }
  CHECK_THROWS_WITH_AS(pool.for_each(100,
                                     [](std::size_t i) {
                                       if (i == 37) throw std::runtime_error("part 37");
                                     }),
                       "part 37", std::runtime_error);
  std::atomic<std::size_t> total{0};
  pool.for_each(100, [&](std::size_t i) { total.fetch_add(i); });
  CHECK(total.load() == 4950);
}

namespace {
struct Model {
  scg::Graph g;
  scg::Var x, w1, w2, b2, loss;
  std::vector<scg::Var> targets;
};

// 400 x 784 -> Bernoulli (256) -> 784 (logits, with a bias), a Bernoulli log-likelihood, and
// the score-function gradient with a leave-one-out baseline.
void build(Model& m) {
  m.x = m.g.input("x", 400, 784);
  scg::Tensor w1(784, 256), w2(256, 784);
  for (Eigen::Index i = 0; i < w1.rows(); ++i)
    for (Eigen::Index j = 0; j < w1.cols(); ++j) w1(i, j) = 0.01 * std::sin(1.0 + i * 0.37 + j * 0.11);
  for (Eigen::Index i = 0; i < w2.rows(); ++i)
    for (Eigen::Index j = 0; j < w2.cols(); ++j) w2(i, j) = 0.02 * std::cos(2.0 + i * 0.13 + j * 0.29);
  m.w1 = m.g.parameter("w1", w1);
  m.w2 = m.g.parameter("w2", w2);
  scg::Tensor b2(1, 784);
  for (Eigen::Index j = 0; j < b2.cols(); ++j) b2(0, j) = 0.1 * std::sin(0.7 * j);
  m.b2 = m.g.parameter("b2", b2);
  const scg::Var z = scg::bernoulli(scg::matmul(m.x, m.w1));
  const scg::Var logits = scg::matmul(z, m.w2) + m.b2;  // a row operand: parts of columns
  const scg::Var ll = m.x * scg::log_sigmoid(logits) + (1.0 - m.x) * scg::log_sigmoid(-logits);
  m.loss = -scg::sum(ll) / 400.0;
  scg::GradOptions o;
  o.baseline = scg::Baseline::kLeaveOneOut;
  const auto grads = scg::grad(m.loss, {m.w1, m.w2, m.b2}, o);
  // Large sums along each axis and broadcasts back (split into parts of whole rows or columns).
  const scg::Var rows = scg::sum(ll, 1), cols = scg::sum(ll, 0);
  // Mid-sized tensors of costly elementwise ops (6000 elements: parts of 2048 for tanh and
  // log_sigmoid, whose cost is 16 adds per element; of 8192 for exp).
  scg::Tensor v(60, 100);
  for (Eigen::Index i = 0; i < v.rows(); ++i)
    for (Eigen::Index j = 0; j < v.cols(); ++j) v(i, j) = 3.0 * std::sin(0.3 + i * 0.71 + j * 0.173);
  const scg::Var vv = m.g.parameter("v", v);
  m.targets = {m.loss, grads[0], grads[1], z, logits, rows, cols,
               scg::broadcast_to(rows, {400, 784}) + scg::broadcast_to(cols, {400, 784}), grads[2],
               scg::tanh(vv) + scg::log_sigmoid(vv) * scg::exp(vv)};
}

bool same_bits(const scg::Tensor& a, const scg::Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.rows() * a.cols())) == 0;
}
}  // namespace

TEST_CASE("threads: bitwise the same values, gradients and samples at every thread count") {
  Model m;
  build(m);
  scg::Tensor xv(400, 784);
  for (Eigen::Index i = 0; i < xv.rows(); ++i)
    for (Eigen::Index j = 0; j < xv.cols(); ++j) xv(i, j) = ((i * 7 + j * 3) % 5) < 2 ? 1.0 : 0.0;
  const std::vector<scg::Feed> feeds{{m.x, xv}};
  std::vector<std::vector<scg::Tensor>> reference;
  for (std::size_t threads : {1u, 2u, 3u, 0u}) {
    CAPTURE(threads);
    scg::Session s(m.g, 11, scg::SessionOptions{.threads = threads});
    for (int run = 0; run < 3; ++run) {
      const auto& v = s.run(m.targets, feeds);
      if (threads == 1) {
        reference.emplace_back(v.begin(), v.end());
        continue;
      }
      for (std::size_t k = 0; k < v.size(); ++k) {
        CAPTURE(run);
        CAPTURE(k);
        CHECK(same_bits(v[k], reference[static_cast<std::size_t>(run)][k]));
      }
    }
  }
  // Not vacuous: the three runs drew different samples, and the gradient is not zero.
  CHECK(!same_bits(reference[0][3], reference[1][3]));
  CHECK(reference[0][1].matrix().norm() > 0.0);
  // The parts compute what one pass does (to rounding): row and column sums, the total.
  const auto& r = reference[0];
  CHECK((r[5].matrix() - r[7].matrix().col(0) + r[6](0, 0) * Eigen::VectorXd::Ones(400)).norm() <=
        1e-9 * r[5].matrix().norm());
  CHECK(std::abs(r[5].matrix().sum() - r[6].matrix().sum()) <= 1e-9 * std::abs(r[5].matrix().sum()));
  CHECK(std::abs(-r[5].matrix().sum() / 400.0 - r[0].item()) <= 1e-9 * std::abs(r[0].item()));
}

TEST_CASE("threads: out of range is refused") {
  scg::Graph g;
  CHECK_THROWS_WITH_AS(scg::Session(g, 1, scg::SessionOptions{.threads = 5000}),
                       doctest::Contains("SessionOptions::threads"), scg::Error);
}
