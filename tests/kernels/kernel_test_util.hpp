// Helpers of the kernel suites: seeded random buffers and bitwise comparison (tests/support).
#pragma once
#include "support/test_util.hpp"
