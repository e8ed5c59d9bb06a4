#pragma once
// Exporting a trained A2World for inference: the EMA weights (or the raw ones), the state statistics and the
// training record, without the optimizer state, optionally in float16. A training checkpoint of the "cpu"
// preset holds 4 copies of 8.2M parameters (weights, EMA, two Adam moments: 131 MB); the float16 export holds
// one (16 MB), small enough to ship in the repository. `a2w wm export` calls this.
//
// No LibTorch in this header, so the CLI compiles without it.

#include <cstdint>
#include <string>

#include "a2w/env/value.h"

namespace a2w::wm {

struct ExportReport {
  std::string from, out;
  std::string dtype;  // "float32" or "float16"
  std::int64_t parameters = 0;
  std::int64_t bytes = 0;  // size of the written file
  std::int64_t step = 0;   // training steps behind the weights (meta "step" of the source; 0 if absent)
  env::Dict to_dict() const;
  std::string to_text() const;
};

// Throws InvalidArgument for another dtype than "float32"/"float16" and whatever reading `from` throws (see
// checkpoint.h); `from` may itself be an exported checkpoint.
ExportReport export_world_model(const std::string& from, const std::string& out,
                                const std::string& dtype = "float16", bool use_ema = true);

}  // namespace a2w::wm
