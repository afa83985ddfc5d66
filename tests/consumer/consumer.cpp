// Checks scg's values, gradients and Hessian-vector products against an independent autodiff
// system: forward-mode hyper-dual numbers, written here from scratch.
//
// One function `model` of three 1x1 parameters (a, b, c) and one 2x2 parameter m uses every op
// of ../shared/API.md (the binding API, kept beside the repository). It is a template,
// instantiated twice:
//   - with scg::Var: scg builds the graph, scg::grad gives the gradient, and scg::grad of
//     sum(gradient * v) gives the Hessian-vector product H v;
//   - with hd::Mat, a small matrix of hyper-dual numbers x = f + f1 e1 + f2 e2 + f12 e1 e2
//     (e1^2 = e2^2 = 0). Seeding e1 along coordinate i and e2 along v gives, in one pass,
//     the value f, the partial derivative df/dx_i (e1 part) and (H v)_i (e1 e2 part).
// Only the names of ../shared/API.md and the umbrella header are used. Exits 1 on any relative
// difference above 1e-8.
#include <algorithm>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/polygamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <array>
#include <cmath>
#include <cstdio>
#include <scg/scg.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace hd {

/// A hyper-dual number f + f1 e1 + f2 e2 + f12 e1 e2, with e1^2 = e2^2 = 0.
struct Num {
  double f = 0, f1 = 0, f2 = 0, f12 = 0;
};

Num operator+(Num a, Num b) { return {a.f + b.f, a.f1 + b.f1, a.f2 + b.f2, a.f12 + b.f12}; }
Num operator-(Num a, Num b) { return {a.f - b.f, a.f1 - b.f1, a.f2 - b.f2, a.f12 - b.f12}; }
Num operator-(Num a) { return {-a.f, -a.f1, -a.f2, -a.f12}; }
Num operator*(Num a, Num b) {
  return {a.f * b.f, a.f * b.f1 + a.f1 * b.f, a.f * b.f2 + a.f2 * b.f,
          a.f * b.f12 + a.f1 * b.f2 + a.f2 * b.f1 + a.f12 * b.f};
}
/// g(x) for a scalar function g with g(x.f) = g0, g'(x.f) = g1, g''(x.f) = g2 (chain rule to
/// second order: the e1 e2 part picks up g'' times the product of the e1 and e2 parts).
Num apply(Num x, double g0, double g1, double g2) {
  return {g0, g1 * x.f1, g1 * x.f2, g1 * x.f12 + g2 * x.f1 * x.f2};
}
Num operator/(Num a, Num b) { return a * apply(b, 1 / b.f, -1 / (b.f * b.f), 2 / (b.f * b.f * b.f)); }

double sig(double x) { return 1 / (1 + std::exp(-x)); }
double softplus_value(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

Num exp(Num x) { const double e = std::exp(x.f); return apply(x, e, e, e); }
Num log(Num x) { return apply(x, std::log(x.f), 1 / x.f, -1 / (x.f * x.f)); }
Num sigmoid(Num x) { const double s = sig(x.f); return apply(x, s, s * (1 - s), s * (1 - s) * (1 - 2 * s)); }
Num log_sigmoid(Num x) {  // -softplus(-x); d = sigmoid(-x) = 1 - s; d2 = -s (1 - s)
  const double s = sig(x.f);
  return apply(x, -softplus_value(-x.f), 1 - s, -s * (1 - s));
}
Num tanh(Num x) { const double t = std::tanh(x.f); return apply(x, t, 1 - t * t, -2 * t * (1 - t * t)); }
Num softplus(Num x) { const double s = sig(x.f); return apply(x, softplus_value(x.f), s, s * (1 - s)); }
Num relu(Num x) { return x.f > 0 ? x : Num{}; }
Num square(Num x) { return x * x; }
Num sqrt(Num x) { const double r = std::sqrt(x.f); return apply(x, r, 0.5 / r, -0.25 / (r * x.f)); }
Num abs(Num x) { return x.f < 0 ? -x : x; }
Num pow(Num x, double p) {
  return apply(x, std::pow(x.f, p), p * std::pow(x.f, p - 1), p * (p - 1) * std::pow(x.f, p - 2));
}
Num log1p(Num x) { return apply(x, std::log1p(x.f), 1 / (1 + x.f), -1 / ((1 + x.f) * (1 + x.f))); }
Num expm1(Num x) { const double e = std::exp(x.f); return apply(x, std::expm1(x.f), e, e); }
// lgamma and digamma with their derivatives from Boost.Math (digamma, trigamma, polygamma(2)).
Num lgamma(Num x) {
  return apply(x, std::lgamma(x.f), boost::math::digamma(x.f), boost::math::trigamma(x.f));
}
Num digamma(Num x) {
  return apply(x, boost::math::digamma(x.f), boost::math::trigamma(x.f), boost::math::polygamma(2, x.f));
}
Num maximum(Num a, Num b) { return a.f > b.f ? a : b; }  // ties: b, as scg
Num minimum(Num a, Num b) { return a.f < b.f ? a : b; }
Num clamp(Num x, double lo, double hi) { return x.f < lo ? Num{lo} : x.f > hi ? Num{hi} : x; }

/// A rows x cols matrix of hyper-dual numbers with the API's semantics: elementwise ops
/// broadcast 1-long axes NumPy-style, reductions by axis, row-wise softmax.
struct Mat {
  int rows = 1, cols = 1;
  std::vector<Num> v = std::vector<Num>(1);
  Mat() = default;
  Mat(int r, int c) : rows(r), cols(c), v(static_cast<std::size_t>(r * c)) {}
  Mat(double x) { v[0].f = x; }  // NOLINT: a constant, like scg's implicit Tensor(double)
  Num& operator()(int r, int c) { return v[static_cast<std::size_t>(r * cols + c)]; }
  Num operator()(int r, int c) const { return v[static_cast<std::size_t>(r * cols + c)]; }
};

/// The elementwise image of x under g.
template <class G>
Mat map(const Mat& x, G g) {
  Mat y(x.rows, x.cols);
  for (std::size_t i = 0; i < x.v.size(); ++i) y.v[i] = g(x.v[i]);
  return y;
}
/// g(a, b) elementwise, a 1-long axis of either operand stretched to the other's length.
template <class G>
Mat zip(const Mat& a, const Mat& b, G g) {
  auto fit = [](int m, int n) {
    if (m != n && m != 1 && n != 1) throw std::runtime_error("hd: shapes do not broadcast");
    return std::max(m, n);
  };
  Mat y(fit(a.rows, b.rows), fit(a.cols, b.cols));
  for (int r = 0; r < y.rows; ++r)
    for (int c = 0; c < y.cols; ++c)
      y(r, c) = g(a(a.rows == 1 ? 0 : r, a.cols == 1 ? 0 : c), b(b.rows == 1 ? 0 : r, b.cols == 1 ? 0 : c));
  return y;
}

Mat operator+(const Mat& a, const Mat& b) { return zip(a, b, [](Num x, Num y) { return x + y; }); }
Mat operator-(const Mat& a, const Mat& b) { return zip(a, b, [](Num x, Num y) { return x - y; }); }
Mat operator*(const Mat& a, const Mat& b) { return zip(a, b, [](Num x, Num y) { return x * y; }); }
Mat operator/(const Mat& a, const Mat& b) { return zip(a, b, [](Num x, Num y) { return x / y; }); }
Mat operator-(const Mat& a) { return map(a, [](Num x) { return -x; }); }
// With a double on either side, through Mat's implicit constructor:
Mat operator+(const Mat& a, double c) { return a + Mat(c); }
Mat operator+(double c, const Mat& a) { return Mat(c) + a; }
Mat operator-(const Mat& a, double c) { return a - Mat(c); }
Mat operator-(double c, const Mat& a) { return Mat(c) - a; }
Mat operator*(const Mat& a, double c) { return a * Mat(c); }
Mat operator*(double c, const Mat& a) { return Mat(c) * a; }
Mat operator/(const Mat& a, double c) { return a / Mat(c); }
Mat operator/(double c, const Mat& a) { return Mat(c) / a; }

Mat exp(const Mat& x) { return map(x, [](Num n) { return exp(n); }); }
Mat log(const Mat& x) { return map(x, [](Num n) { return log(n); }); }
Mat sigmoid(const Mat& x) { return map(x, [](Num n) { return sigmoid(n); }); }
Mat log_sigmoid(const Mat& x) { return map(x, [](Num n) { return log_sigmoid(n); }); }
Mat tanh(const Mat& x) { return map(x, [](Num n) { return tanh(n); }); }
Mat softplus(const Mat& x) { return map(x, [](Num n) { return softplus(n); }); }
Mat relu(const Mat& x) { return map(x, [](Num n) { return relu(n); }); }
Mat square(const Mat& x) { return map(x, [](Num n) { return square(n); }); }
Mat sqrt(const Mat& x) { return map(x, [](Num n) { return sqrt(n); }); }
Mat abs(const Mat& x) { return map(x, [](Num n) { return abs(n); }); }
Mat pow(const Mat& x, double p) { return map(x, [p](Num n) { return pow(n, p); }); }
/// Same value, no derivative of any order.
Mat stop_gradient(const Mat& x) { return map(x, [](Num n) { return Num{n.f}; }); }

/// Sum of all elements, 1x1.
Mat sum(const Mat& x) {
  Mat y;
  for (const Num& n : x.v) y.v[0] = y.v[0] + n;
  return y;
}
/// axis 0: down the rows (1 x cols); axis 1: across the columns (rows x 1).
Mat sum(const Mat& x, int axis) {
  Mat y(axis == 0 ? 1 : x.rows, axis == 0 ? x.cols : 1);
  for (int r = 0; r < x.rows; ++r)
    for (int c = 0; c < x.cols; ++c) {
      Num& acc = axis == 0 ? y(0, c) : y(r, 0);
      acc = acc + x(r, c);
    }
  return y;
}
Mat mean(const Mat& x) { return sum(x) / static_cast<double>(x.rows * x.cols); }
Mat mean(const Mat& x, int axis) { return sum(x, axis) / static_cast<double>(axis == 0 ? x.rows : x.cols); }
Mat matmul(const Mat& a, const Mat& b) {
  if (a.cols != b.rows) throw std::runtime_error("hd: matmul shapes");
  Mat y(a.rows, b.cols);
  for (int r = 0; r < a.rows; ++r)
    for (int c = 0; c < b.cols; ++c)
      for (int k = 0; k < a.cols; ++k) y(r, c) = y(r, c) + a(r, k) * b(k, c);
  return y;
}
Mat transpose(const Mat& x) {
  Mat y(x.cols, x.rows);
  for (int r = 0; r < x.rows; ++r)
    for (int c = 0; c < x.cols; ++c) y(c, r) = x(r, c);
  return y;
}
Mat log1p(const Mat& x) { return map(x, [](Num n) { return log1p(n); }); }
Mat lgamma(const Mat& x) { return map(x, [](Num n) { return lgamma(n); }); }
Mat digamma(const Mat& x) { return map(x, [](Num n) { return digamma(n); }); }
Mat expm1(const Mat& x) { return map(x, [](Num n) { return expm1(n); }); }
Mat maximum(const Mat& a, const Mat& b) { return zip(a, b, [](Num x, Num y) { return maximum(x, y); }); }
Mat minimum(const Mat& a, const Mat& b) { return zip(a, b, [](Num x, Num y) { return minimum(x, y); }); }
Mat clamp(const Mat& x, double lo, double hi) { return map(x, [=](Num n) { return clamp(n, lo, hi); }); }
/// cond a constant 0/1 matrix.
Mat where(const Mat& cond, const Mat& a, const Mat& b) { return cond * a + (1.0 - cond) * b; }
Mat concat(const std::vector<Mat>& parts, int axis) {
  int rows = 0, cols = 0;
  for (const Mat& p : parts) axis == 0 ? (rows += p.rows, cols = p.cols) : (cols += p.cols, rows = p.rows);
  Mat y(rows, cols);
  int at = 0;
  for (const Mat& p : parts) {
    for (int r = 0; r < p.rows; ++r)
      for (int c = 0; c < p.cols; ++c) y(axis == 0 ? at + r : r, axis == 0 ? c : at + c) = p(r, c);
    at += axis == 0 ? p.rows : p.cols;
  }
  return y;
}
Mat block(const Mat& x, int r0, int c0, int rows, int cols) {
  Mat y(rows, cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) y(r, c) = x(r0 + r, c0 + c);
  return y;
}
Mat slice_rows(const Mat& x, int start, int count) { return block(x, start, 0, count, x.cols); }
Mat slice_cols(const Mat& x, int start, int count) { return block(x, 0, start, x.rows, count); }
Mat logsumexp(const Mat& x, int axis) { return log(sum(exp(x), axis)); }
Mat logsumexp(const Mat& x) { return log(sum(exp(x))); }
/// The first largest (smallest) entry along `axis`, with its derivatives.
Mat extreme(const Mat& x, int axis, bool largest) {
  Mat y(axis == 0 ? 1 : x.rows, axis == 0 ? x.cols : 1);
  for (int k = 0; k < (axis == 0 ? x.cols : x.rows); ++k) {
    Num best = axis == 0 ? x(0, k) : x(k, 0);
    for (int i = 1; i < (axis == 0 ? x.rows : x.cols); ++i) {
      const Num n = axis == 0 ? x(i, k) : x(k, i);
      if (largest ? n.f > best.f : n.f < best.f) best = n;
    }
    (axis == 0 ? y(0, k) : y(k, 0)) = best;
  }
  return y;
}
Mat max(const Mat& x, int axis) { return extreme(x, axis, true); }
Mat min(const Mat& x, int axis) { return extreme(x, axis, false); }
/// indices: a constant n x 1 matrix.
Mat gather_rows(const Mat& table, const Mat& indices) {
  Mat y(indices.rows, table.cols);
  for (int i = 0; i < indices.rows; ++i)
    for (int c = 0; c < table.cols; ++c) y(i, c) = table(static_cast<int>(indices(i, 0).f), c);
  return y;
}
Mat one_hot(const Mat& indices, int k) {
  Mat y(indices.rows, k);
  for (int i = 0; i < indices.rows; ++i) y(i, static_cast<int>(indices(i, 0).f)).f = 1.0;
  return y;
}
/// A constant of `rows` (for the model: scg makes a graph constant).
Mat constant_like(const Mat&, const std::vector<std::vector<double>>& rows) {
  Mat y(static_cast<int>(rows.size()), static_cast<int>(rows[0].size()));
  for (int r = 0; r < y.rows; ++r)
    for (int c = 0; c < y.cols; ++c) y(r, c).f = rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
  return y;
}

/// Row-wise: softmax(x)_rc = exp(x_rc) / sum_k exp(x_rk) (no shift: the values here are small).
Mat softmax(const Mat& x) { return exp(x) / sum(exp(x), 1); }
/// Row-wise: x_rc - log sum_k exp(x_rk).
Mat log_softmax(const Mat& x) { return x - log(sum(exp(x), 1)); }

}  // namespace hd

/// A graph constant of `rows`.
scg::Var constant_like(const scg::Var& like, const std::vector<std::vector<double>>& rows) {
  scg::Tensor t(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows[0].size()));
  for (Eigen::Index r = 0; r < t.rows(); ++r)
    for (Eigen::Index c = 0; c < t.cols(); ++c) t(r, c) = rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
  return like.graph().constant(t);
}

/// The function under test, for X = scg::Var or hd::Mat; a, b, c are 1x1 and m is 2x2.
/// Every op of ../shared/API.md appears; the comments name the ones each line adds. The point is chosen
/// so that relu and abs are away from their kinks.
template <class X>
X model(const X& a, const X& b, const X& c, const X& m) {
  const X u = a * m + b;                                   // Var * Var, Var + Var (broadcast)
  const X w = (m - c / 2.0) / (1.0 + square(b));          // Var - Var, Var / double, double + Var, Var / Var, square
  const X h = tanh(w) - sigmoid(u) * 3.0 + relu(u) * 2.0;  // tanh, sigmoid, Var - double... Var * double, relu
  const X k = softplus(2.0 * w) - log_sigmoid(u - w);      // double * Var, softplus, log_sigmoid
  const X p = matmul(h, transpose(m)) + 0.5;               // matmul, transpose, Var + double
  const X s = softmax(p) * log_softmax(u + p);             // softmax, log_softmax (row-wise)
  const X r = sum(s, 0) * mean(k, 1);                      // sum and mean by axis: 1x2 * 2x1 -> 2x2
  const X e = exp(r / 4.0) + sqrt(square(u) + 1.0)         // exp, sqrt
              + pow(abs(m - 0.1) + 0.2, 1.5);              // abs, pow, Var - double
  const X q = -log(e) + 3.0 - 2.0 / (c * c + 1.0);         // unary -, log, double / Var
  const X t = 1.5 - mean(q, 0) * stop_gradient(w + a);     // double - Var, stop_gradient (2x2 * 1x2)
  // The model-building ops (the point keeps clear of ties, kinks and clamp bounds).
  const X n = concat(std::vector<X>{u, w}, 1);                                        // concat side by side: 2x4
  const X z = slice_cols(n, 1, 2) + slice_rows(concat(std::vector<X>{m, h}, 0), 1, 2);  // slices, concat stacked
  const X l = logsumexp(z, 1) + logsumexp(z) - max(z, 0) + min(z, 1);   // logsumexp, max, min: 2x2
  const X mm = maximum(z, w) + minimum(z, 0.3 * m) + clamp(z, -0.4, 0.6);  // maximum, minimum, clamp
  const X lx = log1p(square(z)) + expm1(0.5 * z)                        // log1p, expm1,
               + 0.1 * (lgamma(square(z) + 0.5) + digamma(abs(z) + 1.5));  // lgamma, digamma
  const X wh = where(constant_like(a, {{1, 0}, {0, 1}}), lx, mm);       // where
  const X gr = gather_rows(n, constant_like(a, {{1}, {0}, {1}}));       // gather_rows: 3x4 (a repeat)
  const X oh = one_hot(constant_like(a, {{2}, {0}}), 3);                // one_hot: 2x3
  const X extra = sum(l * wh) + sum(matmul(oh, gr) * slice_cols(n, 0, 4)) / 8.0;
  return sum(e * stop_gradient(k)) / 4.0 + mean(t) * sum(q) - 0.25 + 0.1 * extra;  // sum, mean, Var - double
}

namespace {

constexpr int kCoords = 7;  // a, b, c, then m row by row
constexpr double kTol = 1e-8;

/// Relative difference |x - y| / max(|x|, |y|) (0 when both are 0).
double rel(double x, double y) {
  const double scale = std::max(std::fabs(x), std::fabs(y));
  return scale == 0 ? 0.0 : std::fabs(x - y) / scale;
}

}  // namespace

int main() {
  // The headers' version is the library's, and the macros agree with the string.
  const std::string header_version = std::to_string(SCG_VERSION_MAJOR) + "." +
                                     std::to_string(SCG_VERSION_MINOR) + "." +
                                     std::to_string(SCG_VERSION_PATCH);
  if (header_version != SCG_VERSION_STRING || header_version != scg::version()) {
    std::fprintf(stderr, "consumer: version mismatch: macros %s, SCG_VERSION_STRING %s, library %s\n",
                 header_version.c_str(), SCG_VERSION_STRING, scg::version());
    return 1;
  }
  // The point and the direction of the Hessian-vector product (coordinates: a, b, c, m00, m01,
  // m10, m11).
  const std::array<double, kCoords> x0{0.7, -0.4, 1.3, 0.5, -0.3, 0.8, 0.2};
  const std::array<double, kCoords> dir{0.3, -1.1, 0.6, 0.9, 0.25, -0.7, 1.4};
  const char* names[kCoords] = {"a", "b", "c", "m(0,0)", "m(0,1)", "m(1,0)", "m(1,1)"};

  // ---- scg: the graph, its gradient and grad of sum(gradient * v) ----
  double value = 0;
  std::array<double, kCoords> grad{}, hvp{};
  try {
    scg::Graph g;
    const scg::Var a = g.parameter("a", x0[0]);
    const scg::Var b = g.parameter("b", x0[1]);
    const scg::Var c = g.parameter("c", x0[2]);
    const scg::Var m = g.parameter("m", scg::Tensor::from_rows({{x0[3], x0[4]}, {x0[5], x0[6]}}));
    const scg::Var f = model(a, b, c, m);
    const std::vector<scg::Var> params{a, b, c, m};
    const std::vector<scg::Var> gs = scg::grad(f, params);
    const scg::Var gv = scg::sum(gs[0] * dir[0]) + scg::sum(gs[1] * dir[1]) + scg::sum(gs[2] * dir[2]) +
                        scg::sum(gs[3] * g.constant(scg::Tensor::from_rows({{dir[3], dir[4]}, {dir[5], dir[6]}})));
    const std::vector<scg::Var> hs = scg::grad(gv, params);

    std::vector<scg::Var> targets{f};
    targets.insert(targets.end(), gs.begin(), gs.end());
    targets.insert(targets.end(), hs.begin(), hs.end());
    scg::Session session(g, 1);
    const std::vector<scg::Tensor> out = session.run(targets);  // copied: valid past the next run
    value = out[0].item();
    for (int i = 0; i < 3; ++i) grad[i] = out[1 + i].item(), hvp[i] = out[5 + i].item();
    for (int i = 0; i < 4; ++i) grad[3 + i] = out[4](i / 2, i % 2), hvp[3 + i] = out[8](i / 2, i % 2);
  } catch (const scg::Error& e) {
    std::fprintf(stderr, "consumer: scg threw: %s\n", e.what());
    return 1;
  }

  // ---- hyper-dual: one forward pass per coordinate i, e1 along i and e2 along v ----
  double hd_value = 0;
  std::array<double, kCoords> hd_grad{}, hd_hvp{};
  for (int i = 0; i < kCoords; ++i) {
    auto seed = [&](int j) { return hd::Num{x0[j], j == i ? 1.0 : 0.0, dir[j], 0.0}; };
    hd::Mat a, b, c, m(2, 2);
    a.v[0] = seed(0), b.v[0] = seed(1), c.v[0] = seed(2);
    for (int j = 0; j < 4; ++j) m.v[j] = seed(3 + j);  // row-major, as m's coordinates
    const hd::Num f = model(a, b, c, m).v.at(0);
    hd_value = f.f, hd_grad[i] = f.f1, hd_hvp[i] = f.f12;
  }

  // ---- compare ----
  double worst = rel(value, hd_value);
  std::printf("%-12s %24s %24s %9s\n", "", "scg", "hyper-dual", "rel.err");
  std::printf("%-12s %24.16e %24.16e %9.1e\n", "f", value, hd_value, rel(value, hd_value));
  for (int i = 0; i < kCoords; ++i) {
    const std::string label = std::string("df/d") + names[i];
    std::printf("%-12s %24.16e %24.16e %9.1e\n", label.c_str(), grad[i], hd_grad[i], rel(grad[i], hd_grad[i]));
    worst = std::max(worst, rel(grad[i], hd_grad[i]));
  }
  for (int i = 0; i < kCoords; ++i) {
    const std::string label = std::string("(Hv)_") + names[i];
    std::printf("%-12s %24.16e %24.16e %9.1e\n", label.c_str(), hvp[i], hd_hvp[i], rel(hvp[i], hd_hvp[i]));
    worst = std::max(worst, rel(hvp[i], hd_hvp[i]));
  }
  const bool ok = worst <= kTol;
  std::printf("consumer: largest relative difference %.1e (tolerance %.0e): %s\n", worst, kTol,
              ok ? "OK" : "MISMATCH");
  return ok ? 0 : 1;
}
