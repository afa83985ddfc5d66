#pragma once
/// \file
/// The umbrella header: everything of scg's public API, in namespace scg.

#include "scg/core/dot.hpp"
#include "scg/core/error.hpp"
#include "scg/core/graph.hpp"
#include "scg/core/session.hpp"
#include "scg/core/tensor.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/stochastic.hpp"
#include "scg/train/train.hpp"
#include "scg/version.hpp"
