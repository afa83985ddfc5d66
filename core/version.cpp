// scg::version() and scg::build_info(): how this library was built (see scg/version.hpp).
#include "scg/version.hpp"

#include "scg/ops/detail/gemm.hpp"

// SCG_BUILD_ARCH: defined for this file by CMakeLists.txt (SCG_ARCH as resolved).

namespace scg {
const char* version() noexcept { return SCG_VERSION_STRING; }
BuildInfo build_info() noexcept { return {SCG_BUILD_ARCH, detail::gemm_backend()}; }
}  // namespace scg
