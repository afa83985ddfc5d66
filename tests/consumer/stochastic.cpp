// Written only against ../shared/API.md (beside the repository): the seed's NOT gate as a 2-row batch. Checks, against an
// independent computation, (1) the exact expected cost, its gradient and Hessian from
// expectation() (to 1e-8, against hyper-dual numbers on the closed form
// E = sum_x p_x (t_x - s_x)^2 + (1 - p_x) t_x^2), and (2) that Monte-Carlo means of the
// sampled first- and second-order estimators from grad() match the exact values within 4
// standard errors, and the estimator's variance matches the variance computed by hand
// over the four joint outcomes (each B_x weighted only by its own cost), within 5%.
#include <cmath>
#include <cstdio>
#include <scg/scg.hpp>
#include <vector>

namespace {

// Hyper-dual number: v + a e1 + b e2 + c e1 e2 with e1^2 = e2^2 = 0.
struct HD {
  double v, a, b, c;
};
HD operator+(HD x, HD y) { return {x.v + y.v, x.a + y.a, x.b + y.b, x.c + y.c}; }
HD operator-(HD x, HD y) { return {x.v - y.v, x.a - y.a, x.b - y.b, x.c - y.c}; }
HD operator*(HD x, HD y) { return {x.v * y.v, x.a * y.v + x.v * y.a, x.b * y.v + x.v * y.b, x.c * y.v + x.a * y.b + x.b * y.a + x.v * y.c}; }
HD cst(double v) { return {v, 0, 0, 0}; }
HD sigmoid(HD x) {  // f = s, f' = s(1-s), f'' = s(1-s)(1-2s)
  const double s = 1 / (1 + std::exp(-x.v)), d1 = s * (1 - s), d2 = d1 * (1 - 2 * s);
  return {s, d1 * x.a, d1 * x.b, d1 * x.c + d2 * x.a * x.b};
}

const double kTheta[4] = {0.3, -0.2, -0.7, 0.4};  // w0, b0, w1, b1

// Closed-form E[cost] with parameter i seeded on e1 and j on e2.
HD expected_cost(int i, int j) {
  HD th[4];
  for (int k = 0; k < 4; ++k) th[k] = {kTheta[k], k == i ? 1.0 : 0.0, k == j ? 1.0 : 0.0, 0};
  HD e = cst(0);
  for (int x = 0; x < 2; ++x) {
    const HD t = cst(1.0 - x), p = sigmoid(th[0] * cst(x) + th[1]), s = sigmoid(th[2] * cst(x) + th[3]);
    e = e + p * (t - s) * (t - s) + (cst(1) - p) * t * t;
  }
  return e;
}

int failures = 0;
void expect(bool ok, const char* what, double got, double want) {
  if (!ok) ++failures;
  std::printf("%-46s %s  scg %.12g  reference %.12g\n", what, ok ? "ok  " : "FAIL", got, want);
}
bool close(double a, double b) { return std::fabs(a - b) <= 1e-8 * std::max(1.0, std::fabs(b)); }

}  // namespace

int main() {
  scg::Graph g;
  std::vector<scg::Var> p;
  for (int k = 0; k < 4; ++k) p.push_back(g.parameter("theta" + std::to_string(k), kTheta[k]));
  scg::Var x = g.constant(scg::Tensor::from_rows({{0.0}, {1.0}}));
  scg::Var b = scg::bernoulli(p[0] * x + p[1]);
  scg::Var cost = scg::sum(scg::square((1.0 - x) - b * scg::sigmoid(p[2] * x + p[3])));

  scg::Var ec = scg::expectation(cost);
  std::vector<scg::Var> eg = scg::grad(ec, p), est = scg::grad(cost, p);
  std::vector<scg::Var> eh, est2;
  for (int i = 0; i < 4; ++i) {
    for (scg::Var v : scg::grad(eg[i], p)) eh.push_back(v);
    for (scg::Var v : scg::grad(est[i], p)) est2.push_back(v);
  }
  scg::Session s(g, 2026);

  // (1) exact values against hyper-dual numbers.
  expect(close(s.run(ec).item(), expected_cost(-1, -1).v), "E[cost]", s.run(ec).item(), expected_cost(-1, -1).v);
  std::vector<double> grad_ref(4), hess_ref(16);
  for (int i = 0; i < 4; ++i) {
    grad_ref[i] = expected_cost(i, -1).a;
    const double got = s.run(eg[i]).item();
    expect(close(got, grad_ref[i]), ("dE/dtheta" + std::to_string(i)).c_str(), got, grad_ref[i]);
    for (int j = 0; j < 4; ++j) {
      hess_ref[4 * i + j] = expected_cost(i, j).c;
      const double h = s.run(eh[4 * i + j]).item();
      expect(close(h, hess_ref[4 * i + j]), ("d2E/dtheta" + std::to_string(i) + "dtheta" + std::to_string(j)).c_str(), h, hess_ref[4 * i + j]);
    }
  }

  // Exact variance of the single-sample estimator, by hand over (B0, B1).
  double m1[4] = {}, m2[4] = {};
  for (int b0 = 0; b0 < 2; ++b0)
    for (int b1 = 0; b1 < 2; ++b1) {
      const int B[2] = {b0, b1};
      double prob = 1, e[4] = {};
      for (int xv = 0; xv < 2; ++xv) {
        const double t = 1 - xv, pp = 1 / (1 + std::exp(-(kTheta[0] * xv + kTheta[1])));
        const double ss = 1 / (1 + std::exp(-(kTheta[2] * xv + kTheta[3])));
        prob *= B[xv] ? pp : 1 - pp;
        const double c = (t - B[xv] * ss) * (t - B[xv] * ss), score = B[xv] - pp;
        const double dy = -2 * (t - B[xv] * ss) * B[xv] * ss * (1 - ss);
        e[0] += c * score * xv, e[1] += c * score, e[2] += dy * xv, e[3] += dy;
      }
      for (int k = 0; k < 4; ++k) m1[k] += prob * e[k], m2[k] += prob * e[k] * e[k];
    }

  // (2) Monte-Carlo: means of first- and second-order estimators, and first-order variance.
  std::vector<scg::Var> targets(est);
  targets.insert(targets.end(), est2.begin(), est2.end());
  const int runs = 40000;
  std::vector<double> sum(20, 0.0), sq(20, 0.0);
  for (int r = 0; r < runs; ++r) {
    const auto& v = s.run(targets);
    for (int k = 0; k < 20; ++k) sum[k] += v[k].item(), sq[k] += v[k].item() * v[k].item();
  }
  for (int k = 0; k < 20; ++k) {
    const double mean = sum[k] / runs, var = sq[k] / runs - mean * mean, se = std::sqrt(var / runs);
    const double want = k < 4 ? grad_ref[k] : hess_ref[k - 4];
    expect(std::fabs(mean - want) <= 4 * se + 1e-12,
           (k < 4 ? "MC mean of gradient estimate " + std::to_string(k) : "MC mean of Hessian estimate " + std::to_string(k - 4)).c_str(), mean, want);
    if (k < 4) {
      const double exact_var = m2[k] - m1[k] * m1[k];
      expect(std::fabs(var - exact_var) <= 0.05 * exact_var, ("MC variance of gradient estimate " + std::to_string(k)).c_str(), var, exact_var);
    }
  }
  std::printf("%s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
