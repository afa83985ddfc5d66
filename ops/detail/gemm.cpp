// detail::gemm: OpenBLAS's cblas_dgemm for the shapes where it is faster than Eigen's GEMM,
// Eigen otherwise (and everywhere in a build without SCG_BLAS).
//
// Measured side by side on the 2-core CI machine (AMD EPYC, AVX2 + FMA; bench/NOTES.md, "BLAS
// per shape"): OpenBLAS 0.3.21 in one thread takes 0.6-0.85x the time of Eigen 3.4 compiled
// for the machine on products whose dimensions are all 16 or more (0.3x against Eigen for the
// x86-64 baseline), about the same at 16^3, and 2-6x longer on smaller and matrix-vector shapes,
// where a call's fixed cost dominates.
#include "scg/ops/detail/gemm.hpp"

#include <algorithm>
#include <climits>
#include <mutex>

#include "scg/ops/detail/vec4.hpp"

#ifdef SCG_HAVE_BLAS
// OpenBLAS's CBLAS entry points and its thread control, declared here rather than through
// <cblas.h>: Debian's alternatives may point that header at netlib's CBLAS, which lacks
// openblas_set_num_threads. The enum values are the CBLAS standard's (and C passes an enum as
// an int).
extern "C" {
void cblas_dgemm(int layout, int trans_a, int trans_b, int m, int n, int k, double alpha,
                 const double* a, int lda, const double* b, int ldb, double beta, double* c,
                 int ldc);
void openblas_set_num_threads(int threads);
}
#endif

namespace scg::detail {
namespace {

/// Products up to this many multiply-adds go to small_gemm (A not transposed) or small_gemm_tn
/// (A transposed, B not; both transposed stay on Eigen): Eigen's GEMM packs its operands and
/// dispatches blocks, a fixed cost near 1.5k instructions that dwarfs a 16 x 6 by 6 x 4 product
/// (the HMM's emission weights; bench/NOTES.md, "Posterior mode").
constexpr Eigen::Index kSmallProduct = 512;

/// C = A op(B), by blocks of a column: sixteen rows (four registers of sums) while the k
/// columns of A pass, a broadcast and four multiply-adds each, then four rows, then one.
void small_gemm(bool tb, Eigen::Index m, Eigen::Index n, Eigen::Index k, const double* a,
                Eigen::Index lda, const double* b, Eigen::Index ldb, double* c, Eigen::Index ldc) {
  for (Eigen::Index j = 0; j < n; ++j) {
    // op(B)(p, j) = w[p * step]
    const double* const w = tb ? b + j : b + j * ldb;
    const Eigen::Index step = tb ? ldb : 1;
    double* const out = c + j * ldc;
    Eigen::Index r = 0;
    for (; r + 16 <= m; r += 16) {
      V4 s0 = splat4(0.0), s1 = s0, s2 = s0, s3 = s0;
      for (Eigen::Index p = 0; p < k; ++p) {
        const V4 x = splat4(w[p * step]);
        const double* const col = a + p * lda + r;
        s0 += load4(col) * x, s1 += load4(col + 4) * x;
        s2 += load4(col + 8) * x, s3 += load4(col + 12) * x;
      }
      store4(out + r, s0), store4(out + r + 4, s1), store4(out + r + 8, s2);
      store4(out + r + 12, s3);
    }
    for (; r + 4 <= m; r += 4) {
      V4 sum = splat4(0.0);
      for (Eigen::Index p = 0; p < k; ++p) sum += load4(a + p * lda + r) * splat4(w[p * step]);
      store4(out + r, sum);
    }
    for (; r < m; ++r) {
      double sum = 0.0;
      for (Eigen::Index p = 0; p < k; ++p) sum += a[p * lda + r] * w[p * step];
      out[r] = sum;
    }
  }
}

/// C = A^T B: entry (i, j) the dot product of A's column i and B's column j (both contiguous),
/// four terms at a time in a vector register, then its four lanes added; the terms past the
/// last four one by one. (A gradient's shape: dW = X^T G.)
void small_gemm_tn(Eigen::Index m, Eigen::Index n, Eigen::Index k, const double* a,
                   Eigen::Index lda, const double* b, Eigen::Index ldb, double* c,
                   Eigen::Index ldc) {
  for (Eigen::Index j = 0; j < n; ++j) {
    const double* const bj = b + j * ldb;
    for (Eigen::Index i = 0; i < m; ++i) {
      const double* const ai = a + i * lda;
      V4 acc = splat4(0.0);
      Eigen::Index p = 0;
      for (; p + 4 <= k; p += 4) acc += load4(ai + p) * load4(bj + p);
      double sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
      for (; p < k; ++p) sum += ai[p] * bj[p];
      c[i + j * ldc] = sum;
    }
  }
}

}  // namespace

bool gemm_uses_blas([[maybe_unused]] Eigen::Index m, [[maybe_unused]] Eigen::Index n,
                    [[maybe_unused]] Eigen::Index k) noexcept {
#ifdef SCG_HAVE_BLAS
  return std::min({m, n, k}) >= 16 && std::max({m, n, k}) <= INT_MAX;
#else
  return false;
#endif
}

const char* gemm_backend() noexcept {
#ifdef SCG_HAVE_BLAS
  return "OpenBLAS";
#else
  return "Eigen";
#endif
}

void gemm(bool ta, bool tb, Eigen::Index m, Eigen::Index n, Eigen::Index k, const double* a,
          Eigen::Index lda, const double* b, Eigen::Index ldb, double* c, Eigen::Index ldc) {
  if (m == 0 || n == 0) return;
#ifdef SCG_HAVE_BLAS
  if (gemm_uses_blas(m, n, k) && std::max({lda, ldb, ldc}) <= INT_MAX) {
    // OpenBLAS in one thread: its own threads would make a product's partition (and the
    // machine's load) depend on their count. scg's threads split large products instead, into
    // parts fixed by the shape (ops/matmul.cpp). Set once, for the process: documented with
    // SessionOptions::threads.
    static std::once_flag single_threaded;
    std::call_once(single_threaded, [] { openblas_set_num_threads(1); });
    constexpr int kColMajor = 102, kNoTrans = 111, kTrans = 112;
    cblas_dgemm(kColMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), 1.0, a, static_cast<int>(lda), b,
                static_cast<int>(ldb), 0.0, c, static_cast<int>(ldc));
    return;
  }
#endif
  if (m * n * k <= kSmallProduct) {
    if (!ta) return small_gemm(tb, m, n, k, a, lda, b, ldb, c, ldc);
    if (!tb) return small_gemm_tn(m, n, k, a, lda, b, ldb, c, ldc);
  }
  using Strided = Eigen::OuterStride<>;
  using In = Eigen::Map<const Eigen::MatrixXd, 0, Strided>;
  Eigen::Map<Eigen::MatrixXd, 0, Strided> out(c, m, n, Strided(ldc));
  const In am(a, ta ? k : m, ta ? m : k, Strided(lda));
  const In bm(b, tb ? n : k, tb ? k : n, Strided(ldb));
  if (!ta && !tb)
    out.noalias() = am * bm;
  else if (ta && !tb)
    out.noalias() = am.transpose() * bm;
  else if (!ta)
    out.noalias() = am * bm.transpose();
  else
    out.noalias() = am.transpose() * bm.transpose();
}

}  // namespace scg::detail
