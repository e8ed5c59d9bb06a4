#pragma once
// The largest single heap allocation any thread of this process made since reset_largest_allocation():
// malloc, calloc, realloc and the aligned variants are interposed in the test binary (operator new goes
// through malloc). Lets a test say "no large allocation" about a server running in the same process.
// Without the interposition (sanitizer builds, which interpose malloc themselves) it reports 0.

#include <cstddef>

namespace a2w::test {

bool allocation_watch_active();
void reset_largest_allocation();
std::size_t largest_allocation();

}  // namespace a2w::test
