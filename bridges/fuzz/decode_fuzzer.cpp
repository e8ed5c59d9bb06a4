// libFuzzer target of the bridge's decoder: every input either decodes or throws InvalidArgument; nothing
// else (no crash, no other exception, no sanitizer report, no allocation above -malloc_limit_mb). What
// decodes must encode, decode again and re-encode to the same bytes.
// bridges/fuzz/corpus/deep_bin_roundtrip.msgpack: a bare bin at the maximum depth, found by this target
// (its re-encoding is two levels deeper; the check below allows for that).
//
// Build and run: bridges/fuzz/run.sh [SECONDS] (clang's libFuzzer with ASan and UBSan).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "a2w/bridge/codec.h"
#include "a2w/bridge/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace a2w;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    (void)bridge::decode_header(bytes);
  } catch (const InvalidArgument&) {
  }
  try {
    (void)bridge::decode_value(bytes);
  } catch (const InvalidArgument&) {
  }
  // The zero-copy path: arrays point into a buffer kept alive by the body.
  auto keep = std::make_shared<std::string>(bytes);
  bridge::Body body;
  try {
    body = bridge::decode(*keep, {}, keep);
  } catch (const InvalidArgument&) {
    return 0;
  }
  // Encoding what was decoded must be stable. Re-encoding normalises: a bare bin or a numpy scalar becomes an
  // __ndarray__ map with a shape array (two levels deeper, about ten values instead of one), so the second
  // decode allows for that much more.
  const std::string once = bridge::encode(body);
  bridge::DecodeLimits normalised;
  normalised.max_depth += 2;
  normalised.max_values *= 16;
  const std::string twice = bridge::encode(bridge::decode(once, normalised));
  if (once != twice) __builtin_trap();
  return 0;
}
