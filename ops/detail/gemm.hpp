#pragma once
// The matrix product under matmul: OpenBLAS where scg was built with it (SCG_BLAS) and the shape
// gains from it, Eigen's GEMM otherwise. Internal: not part of the public API.

#include <Eigen/Core>

namespace scg::detail {

/// C = op(A) op(B), with op(X) = X or X^T by `ta` / `tb`. Column-major: C is m x n with leading
/// dimension ldc; A is m x k (k x m when transposed) with leading dimension lda; B is k x n
/// (n x k when transposed) with leading dimension ldb. C must not overlap A or B. The same
/// arguments give bitwise the same C on the same machine, whichever thread calls (OpenBLAS runs
/// in one thread per call: scg's own threads split products into parts fixed by the shape).
void gemm(bool ta, bool tb, Eigen::Index m, Eigen::Index n, Eigen::Index k, const double* a,
          Eigen::Index lda, const double* b, Eigen::Index ldb, double* c, Eigen::Index ldc);

/// True where gemm hands an m x k by k x n product to the BLAS: built with one, and every
/// dimension at least 16 (below that, and for matrix-vector shapes, Eigen's inlined kernels are
/// faster; bench/NOTES.md has the per-shape figures).
bool gemm_uses_blas(Eigen::Index m, Eigen::Index n, Eigen::Index k) noexcept;

/// "OpenBLAS" or "Eigen": the library the large products use.
const char* gemm_backend() noexcept;

}  // namespace scg::detail
