#pragma once
// LibTorch's intra-op thread count. Debian's LibTorch asks OpenMP for its default, and OpenMP answers 1 on
// some machines (measured on this project's 2-core VMs: omp_get_max_threads() == 1 with OMP_NUM_THREADS
// unset), which halves A2World-sim's speed without a word. a2w therefore always sets the count itself.

namespace a2w::wm {

// Sets LibTorch's intra-op threads to `requested`, or to one per core when it is 0; returns the count set.
int set_torch_threads(int requested);

}  // namespace a2w::wm
