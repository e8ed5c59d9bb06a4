#pragma once
// Where the Python client package (bridges/python, import name a2w_bridge) is, for tools that start Python
// peers: the A2W_BRIDGE_PYTHON environment variable when set, else the source tree's bridges/python. Put it
// on PYTHONPATH, or `pip install bridges/python`.

#include <string>

namespace a2w::bridge {

std::string python_package_dir();

}  // namespace a2w::bridge
