// Forward values of every op against closed forms, on both evaluation paths (1x1 operands take
// Session's scalar kernels, larger ones the Eigen kernels); numerically extreme inputs; and a
// third derivative against its closed form; the internal max-sum contraction against a scalar
// reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

#include "op_specs.hpp"
#include "scg/ops/detail/contraction.hpp"

namespace {

using Fn = std::function<scg::Var(const scg::Var&)>;
using Ref = std::function<double(double)>;

double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
// Reference softplus in long double with libm's log1p: an independent, accurate formula.
double softplus_ref(double x) {
  const long double l = x;
  return static_cast<double>(l > 0 ? l + std::log1p(std::exp(-l)) : std::log1p(std::exp(l)));
}

/// |a - b| <= abs + rel * max(|a|, |b|) (exact equality also passes, e.g. for zeros).
bool rel_close(double a, double b, double rel, double abs = 0.0) {
  return a == b || std::fabs(a - b) <= abs + rel * std::max(std::fabs(a), std::fabs(b));
}

/// Value of f at each of xs, on the 1x1 path (one 1x1 parameter per point) and on the tensor
/// path (all points in one 2 x n parameter, each row holding every point), against ref.
void check_unary(const std::string& name, const Fn& f, const Ref& ref,
                 const std::vector<double>& xs, double rel, double abs = 0.0) {
  INFO(name);
  scg::Graph g;
  scg::Tensor row(1, static_cast<Eigen::Index>(xs.size()));
  for (std::size_t i = 0; i < xs.size(); ++i) row(0, static_cast<Eigen::Index>(i)) = xs[i];
  // A 2-row parameter with the points in both rows, so the kernels see a real matrix.
  scg::Tensor two(2, row.cols());
  two.matrix().row(0) = row.matrix();
  two.matrix().row(1) = row.matrix();
  auto vec = f(g.parameter("v", two));
  std::vector<scg::Var> scalars;
  for (double x : xs) scalars.push_back(f(g.parameter("s", x)));
  scg::Session s(g, 3);
  const scg::Tensor v = s.run(vec);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double want = ref(xs[i]);
    const double got_scalar = s.run(scalars[i]).item();
    INFO("x = " << xs[i] << ": want " << want << ", 1x1 path " << got_scalar << ", tensor path "
                << v(0, static_cast<Eigen::Index>(i)));
    CHECK(rel_close(got_scalar, want, rel, abs));
    CHECK(rel_close(v(0, static_cast<Eigen::Index>(i)), want, rel, abs));
    CHECK(v(1, static_cast<Eigen::Index>(i)) == v(0, static_cast<Eigen::Index>(i)));
  }
}

}  // namespace

TEST_CASE("spec table: every op's value against its long-double reference, on both paths") {
  // Inputs drawn from each row's domains; rows marked kAlso1x1 again with 1x1 inputs (the
  // session's scalar kernels). Relative 1e-13: a few ulps of Eigen's vectorized kernels and
  // of the sums, far below any wrong formula; absolute 1e-14 for results that cancel to 0.
  int compared = 0;
  auto check = [&](const std::string& name, const std::vector<scg_test::Input>& in, const op_specs::Spec& spec) {
    INFO(name);
    std::mt19937_64 rng(7);
    scg::Graph g;
    scg_test::Vars params;
    op_specs::Tensors values;
    for (const auto& i : in) {
      values.push_back(scg_test::random_tensor(rng, i.rows, i.cols, i.domain));
      params.push_back(g.parameter("x", values.back()));
    }
    const scg::Var out = spec.f(params);
    scg::Session s(g, 1);
    const scg::Tensor got = s.run(out);
    const scg::Tensor want = spec.ref(values);
    REQUIRE(got.shape() == want.shape());
    for (Eigen::Index c = 0; c < got.cols(); ++c)
      for (Eigen::Index r = 0; r < got.rows(); ++r) {
        INFO("(" << r << ", " << c << "): got " << got(r, c) << ", want " << want(r, c));
        CHECK(rel_close(got(r, c), want(r, c), 1e-13, 1e-14));
        ++compared;
      }
  };
  for (const op_specs::Spec& spec : op_specs::table()) {
    check(spec.name, spec.in, spec);
    if (spec.paths == op_specs::kAlso1x1) check(std::string(spec.name) + " [1x1]", op_specs::as_1x1(spec.in), spec);
  }
  CHECK(compared > 1000);
}

TEST_CASE("numerically extreme inputs: finite and correct") {
  // softplus and log_sigmoid at +-1000 (where the naive log(1 + e^x) overflows or returns 0
  // for log_sigmoid(-1000)), and in the range where log1p's accuracy matters (|x| ~ 20-40:
  // e^-|x| is far below eps, so log(1 + e^-|x|) computed naively would be 0).
  const std::vector<double> xs = {-1000.0, -700.0, -40.0, -30.0, -20.0, -1e-10, 0.0,
                                  1e-10,   20.0,   30.0,  40.0,  700.0,  1000.0};
  // Absolute floor 1e-300: Eigen's vectorized exp clamps its argument near -709.8, so on the
  // tensor path e^-1000 is 5.6e-309 rather than 0 and softplus(-1000) = log1p of it is
  // 5.6e-309 (true value 5e-435, i.e. 0 in double). Harmless; everything else is relative.
  check_unary("softplus extreme", [](const scg::Var& x) { return scg::softplus(x); }, softplus_ref, xs, 1e-14, 1e-300);
  check_unary("log_sigmoid extreme", [](const scg::Var& x) { return scg::log_sigmoid(x); },
              [](double x) { return -softplus_ref(-x); }, xs, 1e-14, 1e-300);
  check_unary("sigmoid extreme", [](const scg::Var& x) { return scg::sigmoid(x); },
              [](double x) { return static_cast<double>(1.0L / (1.0L + std::exp(-static_cast<long double>(x)))); },
              xs, 1e-14);
  check_unary("tanh extreme", [](const scg::Var& x) { return scg::tanh(x); },
              [](double x) { return std::tanh(x); }, xs, 1e-15);

  scg::Graph g;
  auto big = g.parameter("big", scg::Tensor::from_rows({{1000.0, -1000.0}}));
  auto one = g.parameter("one", 1000.0);
  auto minus = g.parameter("minus", -1000.0);
  scg::Session s(g, 1);
  // The exact values at +-1000, spelled out.
  CHECK(s.run(scg::softplus(one)).item() == 1000.0);
  CHECK(s.run(scg::softplus(minus)).item() == 0.0);  // e^-1000 underflows: 0 is correct
  CHECK(s.run(scg::log_sigmoid(minus)).item() == -1000.0);
  CHECK(s.run(scg::log_sigmoid(one)).item() == 0.0);
  CHECK(s.run(scg::sigmoid(one)).item() == 1.0);
  CHECK(s.run(scg::sigmoid(minus)).item() == 0.0);
  const scg::Tensor sp = s.run(scg::softplus(big)), ls = s.run(scg::log_sigmoid(big));
  CHECK(sp(0, 0) == 1000.0);
  CHECK(std::fabs(sp(0, 1)) < 1e-300);  // (see the absolute floor above)
  CHECK(std::fabs(ls(0, 0)) < 1e-300);
  CHECK(ls(0, 1) == -1000.0);
  CHECK(s.run(scg::sigmoid(big)) == scg::Tensor::from_rows({{1.0, 0.0}}));
  // Their derivatives there: finite, exact, to second order.
  for (const scg::Var& x : {one, minus}) {
    const double sx = x.value().item() > 0 ? 1.0 : 0.0;
    auto d_sp = scg::grad(scg::softplus(x), {x})[0];
    auto d_ls = scg::grad(scg::log_sigmoid(x), {x})[0];
    auto d_sg = scg::grad(scg::sigmoid(x), {x})[0];
    CHECK(s.run(d_sp).item() == sx);
    CHECK(s.run(d_ls).item() == 1.0 - sx);
    CHECK(s.run(d_sg).item() == 0.0);
    CHECK(s.run(scg::grad(d_sp, {x})[0]).item() == 0.0);
    CHECK(s.run(scg::grad(d_ls, {x})[0]).item() == 0.0);
  }
  auto gb = scg::grad(scg::sum(scg::log_sigmoid(big) + scg::softplus(big)), {big})[0];
  CHECK(s.run(gb) == scg::Tensor::from_rows({{1.0, 1.0}}));  // sigmoid(-x) + sigmoid(x)
}

TEST_CASE("softmax and log_softmax: closed forms, and large logits") {
  scg::Graph g;
  // Row 0 ordinary, rows 1, 2 and 4 shifted by +1000, -1000 and 1e15 (where the logits are
  // spaced 0.125 apart: every result digit must come from the differences), row 3 spread
  // over 2000.
  auto x = g.parameter("x", scg::Tensor::from_rows({{0.0, 1.0, 2.0},
                                                    {1000.0, 1001.0, 1002.0},
                                                    {-1000.0, -999.0, -998.0},
                                                    {-1000.0, 0.0, 1000.0},
                                                    {1e15, 1e15 + 1.0, 1e15 + 2.0}}));
  scg::Session s(g, 1);
  const scg::Tensor sm = s.run(scg::softmax(x));
  const scg::Tensor lsm = s.run(scg::log_softmax(x));
  REQUIRE(sm.all_finite());
  REQUIRE(lsm.all_finite());
  const double z = 1.0 + std::exp(1.0) + std::exp(2.0);
  for (Eigen::Index r : {0, 1, 2, 4})
    for (Eigen::Index c = 0; c < 3; ++c) {
      const double want = std::exp(static_cast<double>(c)) / z;
      CHECK(rel_close(sm(r, c), want, 1e-14));
      CHECK(rel_close(lsm(r, c), static_cast<double>(c) - std::log(z), 1e-14));
    }
  CHECK(sm(3, 2) == 1.0);
  CHECK(sm(3, 1) == doctest::Approx(std::exp(-1000.0)));  // 0 in double
  CHECK(lsm(3, 2) == 0.0);
  CHECK(lsm(3, 1) == -1000.0);
  CHECK(lsm(3, 0) == -2000.0);  // finite, where log(softmax) would be -inf
  for (Eigen::Index r = 0; r < 5; ++r) CHECK(sm.matrix().row(r).sum() == doctest::Approx(1.0));
  // Gradients at large logits stay finite: d/dx sum(w * log_softmax(x)) = w - softmax * rowsum(w).
  auto w = g.constant(scg::Tensor(scg::Tensor::Matrix(
      scg::Tensor::from_rows({{1, -1, 2}}).matrix().replicate(5, 1))));
  const scg::Tensor gl = s.run(scg::grad(scg::sum(w * scg::log_softmax(x)), {x})[0]);
  REQUIRE(gl.all_finite());
  for (Eigen::Index r = 0; r < 5; ++r)
    for (Eigen::Index c = 0; c < 3; ++c)
      CHECK(gl(r, c) == doctest::Approx(w.value()(r, c) - sm(r, c) * 2.0).epsilon(1e-12));
  // 1x1 logits: softmax 1, log_softmax 0.
  auto one = g.parameter("one", 5.0);
  CHECK(s.run(scg::softmax(one)).item() == 1.0);
  CHECK(s.run(scg::log_softmax(one)).item() == 0.0);
}

TEST_CASE("broadcasting binary ops: values of every pattern against loops") {
  scg::Graph g;
  const scg::Tensor a34 = scg::Tensor::from_rows({{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}});
  const scg::Tensor a14 = scg::Tensor::from_rows({{0.5, -1, 2, 4}});
  const scg::Tensor a31 = scg::Tensor::from_rows({{3}, {-2}, {0.25}});
  const scg::Tensor a11(1.5);
  const scg::Tensor a24 = scg::Tensor::from_rows({{1, 2, 3, 4}, {-1, -2, -3, -4}});
  std::vector<scg::Tensor> ts = {a34, a14, a31, a11, a24};
  std::vector<scg::Var> vs;
  for (const auto& t : ts) vs.push_back(g.parameter("p", t));
  scg::Session s(g, 1);
  using Op2 = std::function<scg::Var(const scg::Var&, const scg::Var&)>;
  using Ref2 = std::function<double(double, double)>;
  const std::vector<std::pair<Op2, Ref2>> ops = {
      {[](const scg::Var& a, const scg::Var& b) { return a + b; }, [](double a, double b) { return a + b; }},
      {[](const scg::Var& a, const scg::Var& b) { return a - b; }, [](double a, double b) { return a - b; }},
      {[](const scg::Var& a, const scg::Var& b) { return a * b; }, [](double a, double b) { return a * b; }},
      {[](const scg::Var& a, const scg::Var& b) { return a / b; }, [](double a, double b) { return a / b; }},
  };
  int checked = 0;
  for (std::size_t k = 0; k < ops.size(); ++k)
    for (std::size_t i = 0; i < ts.size(); ++i)
      for (std::size_t j = 0; j < ts.size(); ++j) {
        const scg::Tensor &a = ts[i], &b = ts[j];
        const Eigen::Index rows = std::max(a.rows(), b.rows()), cols = std::max(a.cols(), b.cols());
        const bool fits = (a.rows() == rows || a.rows() == 1) && (b.rows() == rows || b.rows() == 1) &&
                          (a.cols() == cols || a.cols() == 1) && (b.cols() == cols || b.cols() == 1);
        INFO("op " << k << ", " << a.shape().str() << " with " << b.shape().str());
        if (!fits) {
          CHECK_THROWS_AS(ops[k].first(vs[i], vs[j]), scg::ShapeError);
          continue;
        }
        const scg::Var out = ops[k].first(vs[i], vs[j]);
        REQUIRE(out.shape() == scg::Shape{rows, cols});
        const scg::Tensor got = s.run(out);
        for (Eigen::Index r = 0; r < rows; ++r)
          for (Eigen::Index c = 0; c < cols; ++c) {
            const double want = ops[k].second(a(a.rows() == 1 ? 0 : r, a.cols() == 1 ? 0 : c),
                                              b(b.rows() == 1 ? 0 : r, b.cols() == 1 ? 0 : c));
            CHECK(got(r, c) == want);
          }
        ++checked;
      }
  // Of the 25 ordered pairs, only 2x4 with 3x4 or 3x1 (either order) do not broadcast.
  CHECK(checked == 4 * 21);
}

TEST_CASE("matmul on every path: small kernel, Eigen, BLAS, parts, every flag, against long double") {
  // Products of at most 512 multiply-adds run on scg's small kernels where a is not transposed
  // (blocks of 16, 4 and 1 rows) or a is and b is not (dot products, 4 terms and the rest); products whose dimensions are all 16 or more on OpenBLAS in a
  // build with SCG_BLAS (on Eigen otherwise), those of 2^24 flops and more in 2-8 parts along
  // output rows or columns, each part a call with offset pointers and the full leading
  // dimensions; the rest on Eigen. Every entry is within
  // the worst-case rounding bound 2 k u sum_l |a_il b_lj| of a long-double reference, for every
  // transpose flag (stored operands are the transposes where a flag is set).
  const scg::BuildInfo info = scg::build_info();
  CHECK((std::string(info.gemm) == "OpenBLAS" || std::string(info.gemm) == "Eigen"));
  struct Case {
    Eigen::Index m, k, n;
  };
  // Whole (one call); rows split (n <= m, 2 parts); columns split (n > m, 2 parts); a thin
  // inner dimension (Eigen's kernels); odd sizes everywhere. Small: every row block of the small
  // kernel and its tail (21 = 16 + 4 + 1), one row, an inner dimension of 1, the threshold 8^3
  // and just above it.
  for (const Case c : {Case{40, 17, 23}, Case{320, 130, 300}, Case{200, 161, 403}, Case{67, 9, 81},
                       Case{16, 6, 4}, Case{21, 5, 3}, Case{3, 7, 5}, Case{1, 4, 4}, Case{7, 1, 9},
                       Case{8, 8, 8}, Case{9, 8, 8}}) {
    for (const bool ta : {false, true}) {
      for (const bool tb : {false, true}) {
        CAPTURE(c.m);
        CAPTURE(c.k);
        CAPTURE(c.n);
        CAPTURE(ta);
        CAPTURE(tb);
        scg::Graph g;
        const scg::Tensor::Matrix a =
            scg::Tensor::Matrix::Random(ta ? c.k : c.m, ta ? c.m : c.k);
        const scg::Tensor::Matrix b =
            scg::Tensor::Matrix::Random(tb ? c.n : c.k, tb ? c.k : c.n);
        auto av = g.parameter("a", scg::Tensor(a));
        auto bv = g.parameter("b", scg::Tensor(b));
        scg::Session s(g, 1);
        const scg::Tensor out = s.run(scg::matmul(av, bv, ta, tb));
        REQUIRE(out.shape() == scg::Shape{c.m, c.n});
        double worst = 0.0;  // error / bound
        for (Eigen::Index i = 0; i < c.m; ++i)
          for (Eigen::Index j = 0; j < c.n; ++j) {
            long double ref = 0.0L, mag = 0.0L;
            for (Eigen::Index l = 0; l < c.k; ++l) {
              const long double p = static_cast<long double>(ta ? a(l, i) : a(i, l)) *
                                    static_cast<long double>(tb ? b(j, l) : b(l, j));
              ref += p;
              mag += std::fabs(p);
            }
            const double bound = 2.0 * static_cast<double>(c.k) * 0x1p-53 * static_cast<double>(mag);
            worst = std::max(worst, static_cast<double>(std::fabs(out(i, j) - ref)) / bound);
          }
        CHECK(worst <= 1.0);
      }
    }
  }
}

TEST_CASE("tanh: within 4 ulps of long double from 1e-12 to 40 on both paths; signs, limits, NaN") {
  // tanh is e / (e + 2) with e = expm1(2|x|) by Kahan's formula from Eigen's vectorized exp and
  // log (ops/tanh.cpp); measured at most 2.6 ulps over this sample, glibc's tanh under 1.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> exponent(-12.0, 1.6);
  const Eigen::Index n = 20000;
  scg::Tensor t(n, 1);
  for (Eigen::Index i = 0; i < n; ++i) t(i, 0) = (i % 2 ? -1.0 : 1.0) * std::pow(10.0, exponent(rng));
  const auto ulps = [](double got, double x) {
    const long double ref = std::tanh(static_cast<long double>(x));
    const double r = static_cast<double>(ref);
    const double ulp = std::nextafter(std::fabs(r), INFINITY) - std::fabs(r);
    return static_cast<double>(std::fabs(static_cast<long double>(got) - ref)) / ulp;
  };
  scg::Graph g;
  const scg::Var x = g.parameter("x", t);
  scg::Session s(g, 1);
  const scg::Tensor out = s.run(scg::tanh(x));
  double worst = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) worst = std::max(worst, ulps(out(i, 0), t(i, 0)));
  CHECK(worst <= 4.0);
  for (Eigen::Index i = 0; i < n; i += 997) {  // the 1x1 path: the same formula on std::exp
    scg::Graph g1;
    scg::Session s1(g1, 1);
    CHECK(ulps(s1.run(scg::tanh(g1.parameter("x", t(i, 0)))).item(), t(i, 0)) <= 4.0);
  }
  // Signs of zero, the tiniest and the saturated values, infinities and NaN.
  const std::vector<double> special{0.0, -0.0, 1e-300, -1e-300, 19.5, -25.0, 1e300, INFINITY,
                                    -INFINITY, NAN};
  scg::Tensor sp(1, static_cast<Eigen::Index>(special.size()));
  for (std::size_t i = 0; i < special.size(); ++i) sp(0, static_cast<Eigen::Index>(i)) = special[i];
  scg::Graph g2;
  scg::SessionOptions o;
  o.check_finite = false;  // NaN in, NaN out
  scg::Session s2(g2, 1, o);
  const scg::Tensor v = s2.run(scg::tanh(g2.parameter("x", sp)));
  CHECK((v(0, 0) == 0.0 && !std::signbit(v(0, 0))));
  CHECK((v(0, 1) == 0.0 && std::signbit(v(0, 1))));
  CHECK(v(0, 2) == 1e-300);
  CHECK(v(0, 3) == -1e-300);
  CHECK(v(0, 4) == 1.0);
  CHECK(v(0, 5) == -1.0);
  CHECK(v(0, 6) == 1.0);
  CHECK(v(0, 7) == 1.0);
  CHECK(v(0, 8) == -1.0);
  CHECK(std::isnan(v(0, 9)));
}

TEST_CASE("log_max_sum: per output column the largest sum and the rank of its first argmax") {
  // The max-sum contraction of the posterior mode, against a scalar reference: integer tables
  // (exact sums, so ties are exact), -inf entries (a column of -inf sums keeps -inf and rank 0),
  // a column no joint state maps to, 1 to 5 tables (4 unrolled kernels and the general one),
  // 1, 5 (a block of four and one) and 16 rows.
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> small(-2, 2), pick(0, 5);
  const Eigen::Index n = 24, cols = 5;  // column 4: no joint state
  std::vector<Eigen::Index> out(static_cast<std::size_t>(n));
  for (Eigen::Index s = 0; s < n; ++s) out[static_cast<std::size_t>(s)] = (s * 7) % 4;
  for (const Eigen::Index rows : {1, 5, 16})
    for (std::size_t m = 1; m <= 5; ++m) {
      CAPTURE(rows);
      CAPTURE(m);
      scg::Graph g;
      std::vector<scg::Var> tables;
      std::vector<scg::Tensor> values;
      std::vector<std::vector<Eigen::Index>> index;
      for (std::size_t i = 0; i < m; ++i) {
        const Eigen::Index tc = 3 + static_cast<Eigen::Index>(i);
        scg::Tensor t(rows, tc);
        for (Eigen::Index r = 0; r < rows; ++r)
          for (Eigen::Index c = 0; c < tc; ++c)
            t(r, c) = pick(rng) == 0 ? -INFINITY : static_cast<double>(small(rng));
        if (i == 0) t.matrix().row(0).setConstant(-INFINITY);  // row 0: every sum -inf
        std::vector<Eigen::Index> idx(static_cast<std::size_t>(n));
        for (Eigen::Index s = 0; s < n; ++s)
          idx[static_cast<std::size_t>(s)] = (s * (2 * static_cast<Eigen::Index>(i) + 1)) % tc;
        values.push_back(t), index.push_back(idx), tables.push_back(g.constant(t));
      }
      scg::SessionOptions o;
      o.check_finite = false;  // -inf maxima are the point here
      scg::Session session(g, 1, o);
      const scg::Tensor got = session.run(scg::detail::log_max_sum(tables, index, out, cols));
      REQUIRE(got.shape() == scg::Shape{rows, 2 * cols});
      bool some_tie = false;
      for (Eigen::Index r = 0; r < rows; ++r)
        for (Eigen::Index c = 0; c < cols; ++c) {
          double best = -INFINITY, rank = 0, seen = 0;
          int ties = 0;
          for (Eigen::Index s = 0; s < n; ++s) {
            if (out[static_cast<std::size_t>(s)] != c) continue;
            double x = 0;
            for (std::size_t i = 0; i < m; ++i)
              x += values[i](r, index[i][static_cast<std::size_t>(s)]);
            if (x > best)
              best = x, rank = seen, ties = 0;
            else if (x == best && x > -INFINITY)
              ++ties;
            ++seen;
          }
          some_tie = some_tie || ties > 0;
          CHECK(got(r, c) == best);
          CHECK(got(r, cols + c) == rank);
        }
      CHECK(got(0, 0) == -INFINITY);  // row 0 of table 0 is all -inf
      CHECK(got(0, cols) == 0.0);
      if (rows == 16) CHECK(some_tie);  // ties occur: the first-argmax rule is exercised
    }
}

TEST_CASE("a product's gradient through the seed of a sum is the other operand, to second order") {
  // grad(sum(c * x), x) is c itself (broadcast_to(1) * c folds to c); through a scaled sum the
  // scale multiplies c without a broadcast; second derivatives are unchanged.
  scg::Graph g;
  const scg::Var x = g.parameter("x", scg::Tensor::from_rows({{1.0, -2.0}, {0.5, 3.0}}));
  const scg::Var c = g.parameter("c", scg::Tensor::from_rows({{2.0, 0.25}, {-1.0, 4.0}}));
  const scg::Var d = scg::grad(scg::sum(c * x), {x})[0];
  CHECK(d.id() == c.id());
  const scg::Var d3 = scg::grad(scg::sum(c * x) * 3.0, {x})[0];
  scg::Session s(g, 1);
  CHECK(s.run(d3) == scg::Tensor::from_rows({{6.0, 0.75}, {-3.0, 12.0}}));
  // d/dx sum(x * x * c) = 2 x c; its derivative along c: sum(2 x c) w.r.t. c is 2 x.
  const scg::Var dx = scg::grad(scg::sum(x * x * c), {x})[0];
  CHECK(s.run(dx) == scg::Tensor::from_rows({{4.0, -1.0}, {-1.0, 24.0}}));
  const scg::Var dxc = scg::grad(scg::sum(dx), {c})[0];
  CHECK(s.run(dxc) == scg::Tensor::from_rows({{2.0, -4.0}, {1.0, 6.0}}));
}

TEST_CASE("reductions, matmul, transpose, broadcast_to, sum_to: values") {
  scg::Graph g;
  const scg::Tensor t = scg::Tensor::from_rows({{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}});
  auto x = g.parameter("x", t);
  auto row = g.parameter("row", scg::Tensor::from_rows({{1, -2, 3}}));
  auto col = g.parameter("col", scg::Tensor::from_rows({{2}, {0.5}, {-1}}));
  auto one = g.parameter("one", -4.0);
  scg::Session s(g, 1);
  CHECK(s.run(scg::sum(x)).item() == 78.0);
  CHECK(s.run(scg::sum(x, 0)) == scg::Tensor::from_rows({{15, 18, 21, 24}}));
  CHECK(s.run(scg::sum(x, 1)) == scg::Tensor::from_rows({{10}, {26}, {42}}));
  CHECK(s.run(scg::mean(x)).item() == 6.5);
  CHECK(s.run(scg::mean(x, 0)) == scg::Tensor::from_rows({{5, 6, 7, 8}}));
  CHECK(s.run(scg::mean(x, 1)) == scg::Tensor::from_rows({{2.5}, {6.5}, {10.5}}));
  CHECK(s.run(scg::sum(one)).item() == -4.0);
  CHECK(s.run(scg::mean(one, 1)).item() == -4.0);
  CHECK(s.run(scg::sum(row, 0)) == s.run(row));
  CHECK_THROWS_WITH_AS(scg::sum(x, 2), doctest::Contains("sum"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::mean(x, -1), doctest::Contains("axis"), scg::Error);

  CHECK(s.run(scg::transpose(x)) == scg::Tensor(scg::Tensor::Matrix(t.matrix().transpose())));
  CHECK(s.run(scg::transpose(x)).shape() == scg::Shape{4, 3});
  CHECK(s.run(scg::matmul(row, x)) == scg::Tensor::from_rows({{18, 20, 22, 24}}));
  CHECK(s.run(scg::matmul(row, col)).item() == 2.0 - 1.0 - 3.0);
  CHECK(s.run(scg::matmul(col, row)) ==
        scg::Tensor::from_rows({{2, -4, 6}, {0.5, -1, 1.5}, {-1, 2, -3}}));
  CHECK(s.run(scg::matmul(one, one)).item() == 16.0);
  CHECK(s.run(scg::matmul(scg::transpose(x), x)) ==
        scg::Tensor(scg::Tensor::Matrix(t.matrix().transpose() * t.matrix())));

  // Transposed operands fold into the product's flags; each flag combination is the product
  // of the explicitly transposed matrices.
  const scg::Tensor::Matrix m = t.matrix();
  const auto folded = scg::matmul(scg::transpose(x), x);
  const auto operands = g.inputs(folded.id());
  CHECK(std::vector<std::size_t>(operands.begin(), operands.end()) == std::vector<std::size_t>{x.id(), x.id()});
  CHECK(scg::transpose(scg::transpose(x)).id() == x.id());
  CHECK(s.run(scg::matmul(x, x, true, false)) == scg::Tensor(scg::Tensor::Matrix(m.transpose() * m)));
  CHECK(s.run(scg::matmul(x, x, false, true)) == scg::Tensor(scg::Tensor::Matrix(m * m.transpose())));
  CHECK(s.run(scg::matmul(x, scg::transpose(x))) == scg::Tensor(scg::Tensor::Matrix(m * m.transpose())));
  CHECK(s.run(scg::matmul(scg::transpose(x), scg::transpose(x), false, true)) ==
        scg::Tensor(scg::Tensor::Matrix(m.transpose() * m)));
  CHECK_THROWS_WITH_AS(scg::matmul(x, x), doctest::Contains("inner dimensions differ (operand shapes 3x4, 3x4)"),
                       scg::ShapeError);
  CHECK_THROWS_WITH_AS(scg::matmul(x, col, true, true), doctest::Contains("operands used as a^T, b^T"),
                       scg::ShapeError);

  CHECK(s.run(scg::broadcast_to(row, {2, 3})) == scg::Tensor::from_rows({{1, -2, 3}, {1, -2, 3}}));
  CHECK(s.run(scg::broadcast_to(col, {3, 2})) ==
        scg::Tensor::from_rows({{2, 2}, {0.5, 0.5}, {-1, -1}}));
  CHECK(s.run(scg::broadcast_to(one, {2, 2})) == scg::Tensor(2, 2, -4.0));
  CHECK(scg::broadcast_to(x, {3, 4}).id() == x.id());  // no node for the identity
  CHECK(s.run(scg::sum_to(x, {1, 4})) == scg::Tensor::from_rows({{15, 18, 21, 24}}));
  CHECK(s.run(scg::sum_to(x, {3, 1})) == scg::Tensor::from_rows({{10}, {26}, {42}}));
  CHECK(s.run(scg::sum_to(x, {1, 1})).item() == 78.0);
  CHECK(scg::sum_to(x, {3, 4}).id() == x.id());
  CHECK_THROWS_AS(scg::broadcast_to(x, {3, 5}), scg::ShapeError);
  CHECK_THROWS_AS(scg::sum_to(x, {2, 4}), scg::ShapeError);
}

TEST_CASE("third derivatives against closed forms, on both paths") {
  struct Case {
    const char* name;
    Fn f;
    Ref d3;
    std::vector<double> xs;
  };
  auto tanh3 = [](double x) { const double t = std::tanh(x); return -2 * (1 - t * t) * (1 - 3 * t * t); };
  auto sig3 = [](double x) { const double s = sig(x); return s * (1 - s) * (1 - 6 * s + 6 * s * s); };
  auto sig2 = [](double x) { const double s = sig(x); return s * (1 - s) * (1 - 2 * s); };
  // exp(tanh x): f''' = e^t (t'^3 + 3 t' t'' + t''').
  auto exptanh3 = [tanh3](double x) {
    const double t = std::tanh(x), t1 = 1 - t * t, t2 = -2 * t * t1;
    return std::exp(t) * (t1 * t1 * t1 + 3 * t1 * t2 + tanh3(x));
  };
  const std::vector<double> any = {-1.7, -0.4, 0.3, 1.1, 2.5};
  const std::vector<double> pos = {0.3, 0.9, 1.6, 4.0};
  const std::vector<Case> cases = {
      {"tanh", [](const scg::Var& x) { return scg::tanh(x); }, tanh3, any},
      {"sigmoid", [](const scg::Var& x) { return scg::sigmoid(x); }, sig3, any},
      {"softplus", [](const scg::Var& x) { return scg::softplus(x); }, sig2, any},
      {"log_sigmoid", [](const scg::Var& x) { return scg::log_sigmoid(x); }, [sig2](double x) { return -sig2(x); }, any},
      {"exp(tanh x)", [](const scg::Var& x) { return scg::exp(scg::tanh(x)); }, exptanh3, any},
      {"log", [](const scg::Var& x) { return scg::log(x); }, [](double x) { return 2 / (x * x * x); }, pos},
      {"sqrt", [](const scg::Var& x) { return scg::sqrt(x); }, [](double x) { return 0.375 * std::pow(x, -2.5); }, pos},
      {"pow 3.5", [](const scg::Var& x) { return scg::pow(x, 3.5); }, [](double x) { return 3.5 * 2.5 * 1.5 * std::sqrt(x); }, pos},
      {"1 / x", [](const scg::Var& x) { return 1.0 / x; }, [](double x) { return -6 / (x * x * x * x); }, pos},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    scg::Graph g;
    scg::Tensor row(1, static_cast<Eigen::Index>(c.xs.size()));
    for (std::size_t i = 0; i < c.xs.size(); ++i) row(0, static_cast<Eigen::Index>(i)) = c.xs[i];
    // Elementwise f: each grad of the sum is the next derivative, elementwise.
    auto third = [](const scg::Var& x, const Fn& f) {
      auto d1 = scg::grad(scg::sum(f(x)), {x})[0];
      auto d2 = scg::grad(scg::sum(d1), {x})[0];
      return scg::grad(scg::sum(d2), {x})[0];
    };
    auto v = g.parameter("v", row);
    auto dv = third(v, c.f);
    std::vector<scg::Var> ds;
    for (double x : c.xs) {
      auto p = g.parameter("s", x);
      ds.push_back(third(p, c.f));
    }
    scg::Session s(g, 1);
    const scg::Tensor got = s.run(dv);
    for (std::size_t i = 0; i < c.xs.size(); ++i) {
      const double want = c.d3(c.xs[i]);
      INFO("x = " << c.xs[i]);
      CHECK(got(0, static_cast<Eigen::Index>(i)) == doctest::Approx(want).epsilon(1e-12));
      CHECK(s.run(ds[i]).item() == doctest::Approx(want).epsilon(1e-12));
    }
  }
}

TEST_CASE("reshape: NumPy's row-major order, its own shape is the operand, bad sizes refused") {
  scg::Graph g;
  const auto x = g.parameter("x", scg::Tensor::from_rows({{1, 2, 3}, {4, 5, 6}}));
  scg::Session s(g, 1);
  // numpy.arange(1, 7).reshape(2, 3).reshape(3, 2) = [[1, 2], [3, 4], [5, 6]].
  CHECK(s.run(scg::reshape(x, 3, 2)) == scg::Tensor::from_rows({{1, 2}, {3, 4}, {5, 6}}));
  CHECK(s.run(scg::reshape(x, 1, 6)) == scg::Tensor::from_rows({{1, 2, 3, 4, 5, 6}}));
  CHECK(s.run(scg::reshape(scg::reshape(x, 6, 1), 2, 3)) == s.run(x));
  CHECK(scg::reshape(x, 2, 3).id() == x.id());
  CHECK_THROWS_WITH_AS(scg::reshape(x, 4, 2), doctest::Contains("2x3"), scg::ShapeError);
  CHECK_THROWS_WITH_AS(scg::reshape(x, 4, 2), doctest::Contains("4x2"), scg::ShapeError);
  CHECK_THROWS_AS(scg::reshape(x, 0, 6), scg::ShapeError);
  CHECK_THROWS_AS(scg::reshape(x, -2, -3), scg::ShapeError);
  CHECK_THROWS_AS(scg::reshape(scg::Var(), 1, 1), scg::Error);
}
