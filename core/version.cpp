// scg::version() and scg::build_info(): how this library was built (see scg/version.hpp).
#include "scg/version.hpp"

#include "scg/ops/detail/gemm.hpp"

#ifndef SCG_BUILD_ARCH
#define SCG_BUILD_ARCH "portable"
#endif

namespace scg {
const char* version() noexcept { return SCG_VERSION_STRING; }
BuildInfo build_info() noexcept { return {SCG_BUILD_ARCH, detail::gemm_backend()}; }
}  // namespace scg
