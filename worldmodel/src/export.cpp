#include "a2w/wm/export.h"

#include <filesystem>

#include "a2w/env/error.h"
#include "a2w/wm/a2world.h"
#include "a2w/wm/checkpoint.h"

namespace a2w::wm {

env::Dict ExportReport::to_dict() const {
  return {{"from", from},   {"out", out},  {"dtype", dtype}, {"parameters", parameters},
          {"bytes", bytes}, {"step", step}};
}

std::string ExportReport::to_text() const {
  return "a2w wm export: " + out + "\n  from       " + from + " (step " + std::to_string(step) +
         ")\n  weights    " + std::to_string(parameters) + " parameters in " + dtype + ", " +
         std::to_string(bytes) + " bytes\n";
}

ExportReport export_world_model(const std::string& from, const std::string& out, const std::string& dtype,
                                bool use_ema) {
  if (dtype != "float32" && dtype != "float16")
    throw InvalidArgument("export_world_model: expected dtype float32 or float16, got '" + dtype + "'");
  const auto source = read_checkpoint(from);
  const auto model = A2World::from_checkpoint(source, torch::kCPU, use_ema);
  // Keep the training record (data, steps, time, loss curve) so a shipped file says where it came from.
  env::Dict meta = source.meta;
  meta.erase("optim/steps");
  meta["has_optimizer"] = false;
  meta["exported_from"] = from;
  meta["exported_weights"] = use_ema && source.has_prefix("ema/") ? "ema" : "model";
  model->save(out, dtype == "float16" ? torch::kFloat16 : torch::kFloat32, meta);

  ExportReport r;
  r.from = from;
  r.out = out;
  r.dtype = dtype;
  r.parameters = parameter_count(*model->net());
  r.bytes = static_cast<std::int64_t>(std::filesystem::file_size(out));
  r.step = env::get_or(source.meta, "step", std::int64_t{0});
  return r;
}

}  // namespace a2w::wm
