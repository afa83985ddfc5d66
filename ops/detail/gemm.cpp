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
