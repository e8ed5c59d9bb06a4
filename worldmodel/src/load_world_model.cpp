#include <cstring>
#include <fstream>

#include "a2w/env/error.h"
#include "a2w/wm/a2world.h"
#include "a2w/wm/torchscript_world_model.h"
#include "a2w/wm/world_model.h"

namespace a2w::wm {

std::shared_ptr<WorldModel> load_world_model(const std::string& path, torch::Device device) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgument("load_world_model: cannot open " + path + " (missing or unreadable)");
  char head[4] = {};
  in.read(head, 4);
  // By content, not by extension: a TorchScript archive is a zip file ("PK\3\4").
  if (in.gcount() >= 2 && head[0] == 'P' && head[1] == 'K') return load_torchscript_world_model(path, device);
  return A2World::load(path, device);
}

}  // namespace a2w::wm
