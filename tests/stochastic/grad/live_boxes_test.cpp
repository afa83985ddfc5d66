// GradOptions::live_boxes: the MagicBoxes of a grad stay live, and a later grad treats the
// choices inside them as given values (DiCE's repeated differentiation). On a three-step chain
// (each step's logit read from the previous choice, a cost term per step) the Hessian and third
// derivatives by repeated grad have the exact derivatives of E[cost] as their exact means
// (expectation over every joint state), with and without baselines (Mao et al.'s form at every
// order), and a lower exact variance than grad's default rule; the derivative of a nonlinear
// function of a live estimate is the formula written here.
#include <cmath>
#include <vector>

#include "../mc.hpp"

namespace {
using scg::Var;

struct Chain {
  Var th, cost;
};

// Rows of 3 steps; step t's logit is th[0] at the start, else th[1 + previous choice].
Chain chain(scg::Graph& g, int rows) {
  Chain m;
  m.th = g.parameter("th", scg::Tensor::from_rows({{0.3}, {-0.5}, {0.8}}));
  const Var ths = scg::transpose(m.th);
  scg::Tensor s0(rows, 3);
  s0.matrix().col(0).setOnes();
  const Var zero = g.constant(scg::Tensor(rows, 1));
  const Var a1 = scg::bernoulli(scg::sum(g.constant(s0) * ths, 1));
  const Var a2 = scg::bernoulli(scg::sum(scg::concat({zero, 1.0 - a1, a1}, 1) * ths, 1));
  const Var a3 = scg::bernoulli(scg::sum(scg::concat({zero, 1.0 - a2, a2}, 1) * ths, 1));
  m.cost = scg::mean(2.0 * a1 - 1.0) + scg::mean(3.0 * a1 * a2 - a2 + 0.5) +
           scg::mean(a3 * a2 - 2.0 * a3);
  return m;
}

scg::GradOptions options(bool live, scg::Baseline b) {
  scg::GradOptions o;
  o.live_boxes = live;
  o.baseline = b;
  return o;
}

Var row(const Var& v, int i) { return scg::sum(scg::slice_rows(v, i, 1)); }
}  // namespace

TEST_CASE("live boxes: second and third derivatives by repeated grad are unbiased, with baselines") {
  for (scg::Baseline b : {scg::Baseline::kNone, scg::Baseline::kLeaveOneOut}) {
    CAPTURE(static_cast<int>(b));
    scg::Graph g;
    const Chain m = chain(g, 2);
    const Var gr = scg::grad(m.cost, {m.th}, options(true, b))[0];
    const Var exact1 = scg::grad(scg::expectation(m.cost), {m.th})[0];
    std::vector<Var> targets{scg::expectation(gr), exact1};
    for (int i = 0; i < 3; ++i) {
      const Var h = scg::grad(row(gr, i), {m.th})[0];
      targets.push_back(scg::expectation(h));
      targets.push_back(scg::grad(row(exact1, i), {m.th})[0]);
      // Third order: d/dth_0 of the Hessian row i.
      const Var t = scg::grad(row(h, 0), {m.th})[0];
      targets.push_back(scg::expectation(t));
      targets.push_back(scg::grad(row(scg::grad(row(exact1, i), {m.th})[0], 0), {m.th})[0]);
    }
    scg::Session s(g, 1);
    const auto v = s.run(targets);
    for (std::size_t k = 0; k < v.size(); k += 2)
      for (int j = 0; j < 3; ++j) {
        CAPTURE(k);
        CAPTURE(j);
        CHECK(v[k](j, 0) == doctest::Approx(v[k + 1](j, 0)).epsilon(1e-10));
      }
  }
}

TEST_CASE("live boxes keep each cost term's choices at second order: a lower exact variance") {
  for (scg::Baseline b : {scg::Baseline::kNone, scg::Baseline::kLeaveOneOut}) {
    CAPTURE(static_cast<int>(b));
    double total[2] = {0, 0};
    for (int live = 0; live < 2; ++live) {
      scg::Graph g;
      const Chain m = chain(g, 2);
      const Var gr = scg::grad(m.cost, {m.th}, options(live == 1, b))[0];
      std::vector<Var> vars;
      for (int i = 0; i < 3; ++i) {
        const Var h = scg::grad(row(gr, i), {m.th})[0];
        vars.push_back(scg::expectation(scg::square(h - scg::expectation(h))));
      }
      scg::Session s(g, 1);
      for (const scg::Tensor& t : s.run(vars)) total[live] += t.matrix().sum();
    }
    MESSAGE("Hessian variance summed over its entries: rule " << total[0] << ", live boxes "
                                                               << total[1]);
    CHECK(total[1] < 0.8 * total[0]);
  }
}

TEST_CASE("a nonlinear function of a live estimate is differentiated through the boxes") {
  // b ~ Bern(sigmoid(phi)), c = (b - 0.8)^2 e^phi, G = dc + c s with s = b - sigmoid(phi).
  // Through live boxes, d/dphi G^2 = 2 G (dG + s G): the boxes carry the score of the choice.
  scg::Graph g;
  const double phi = 0.3, sg = 1 / (1 + std::exp(-phi));
  const Var p = g.parameter("phi", phi);
  const Var b = scg::bernoulli(p);
  const Var c = scg::sum(scg::square(b - 0.8) * scg::exp(p));
  const Var G = scg::grad(c, {p}, options(true, scg::Baseline::kNone))[0];
  const Var d = scg::grad(scg::square(G), {p})[0];
  scg::Session s(g, 1);
  for (double bv : {0.0, 1.0}) {
    const double cv = (bv - 0.8) * (bv - 0.8) * std::exp(phi), sv = bv - sg;
    const double Gv = cv * (1 + sv), dG = cv * (1 + sv) - cv * sg * (1 - sg);
    const auto v = s.run({G, d}, {{b, scg::Tensor(1, 1, bv)}});
    CHECK(v[0].item() == doctest::Approx(Gv).epsilon(1e-12));
    CHECK(v[1].item() == doctest::Approx(2 * Gv * (dG + sv * Gv)).epsilon(1e-12));
  }
}

TEST_CASE("a choice inside live boxes that the later cost also reads directly is refused") {
  scg::Graph g;
  const Var p = g.parameter("phi", 0.3);
  const Var b = scg::bernoulli(p);
  const Var c = scg::sum(scg::square(b - 0.8) * scg::exp(p));
  const Var G = scg::grad(c, {p}, options(true, scg::Baseline::kNone))[0];
  CHECK_NOTHROW(scg::grad(scg::square(G), {p}));
  CHECK_THROWS_WITH_AS(scg::grad(scg::square(G) + scg::sum(b), {p}),
                       doctest::Contains("live MagicBoxes"), scg::Error);
  // Without live boxes the same cost is fine (the rule adds b's score terms).
  const Var R = scg::grad(c, {p})[0];
  CHECK_NOTHROW(scg::grad(scg::square(R) + scg::sum(b), {p}));
}
