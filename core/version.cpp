// scg::version(): the version this library was built as (see scg/version.hpp).
#include "scg/version.hpp"

namespace scg {
const char* version() noexcept { return SCG_VERSION_STRING; }
}  // namespace scg
