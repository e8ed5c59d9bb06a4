#include "a2w/wm/threads.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>

namespace a2w::wm {

int set_torch_threads(int requested) {
  const int n =
      requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  return n;
}

}  // namespace a2w::wm
