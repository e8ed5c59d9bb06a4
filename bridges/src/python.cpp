#include "a2w/bridge/python.h"

#include <cstdlib>

namespace a2w::bridge {

std::string python_package_dir() {
  if (const char* p = std::getenv("A2W_BRIDGE_PYTHON"); p && *p) return p;
  return A2W_BRIDGE_PYTHON_DIR;
}

}  // namespace a2w::bridge
