// The a2w checkpoint format: a round trip gives bit-identical predictions; truncated, wrong-version,
// corrupted and foreign files, and tensors that do not fit the model, are refused with errors that name the
// file.

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "a2w/env/error.h"
#include "a2w/wm/a2world.h"
#include "a2w/wm/checkpoint.h"
#include "a2w/wm/export.h"
#include "a2w/wm/world_model.h"
#include "wm_test_util.h"

using namespace a2w::wm;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A trained-looking model: random weights everywhere, non-trivial statistics.
Checkpoint make_checkpoint(const WorldModelConfig& c) {
  torch::manual_seed(9);
  A2WorldNet net(c);
  torch::NoGradGuard no_grad;
  for (auto& p : net->parameters()) p.add_(torch::randn_like(p) * 0.05);
  Checkpoint ck;
  ck.config = c;
  ck.meta = {{"step", 42}, {"note", "test"}};
  add_module(ck, *net, "ema/");
  ck.tensors["norm/state_mean"] = torch::randn({c.state_dim});
  ck.tensors["norm/state_std"] = torch::rand({c.state_dim}) + 0.5;
  return ck;
}

WorldModelInput input(const WorldModelConfig& c) {
  torch::manual_seed(4);
  WorldModelInput in;
  const std::int64_t b = 2, s = c.image_size;
  in.context = torch::randint(0, 256, {b, c.views, c.context_frames, s, s, 3}).to(torch::kUInt8);
  in.anchor = torch::randint(0, 256, {b, c.views, s, s, 3}).to(torch::kUInt8);
  in.actions = torch::rand({b, 1, 7});
  in.state = torch::randn({b, c.state_dim});
  in.state_mask = torch::ones({b, c.state_dim});
  in.seeds = {3, 4};
  return in;
}

}  // namespace

TEST_CASE("checkpoint round trip: identical tensors, meta and predictions") {
  wmtest::TempDir dir("ckpt_roundtrip");
  auto c = wmtest::tiny();
  c.tasks = {"a2w/LiftCube-v0"};
  auto ck = make_checkpoint(c);
  ck.tensors["extra/int"] = torch::arange(5, torch::kInt64);
  ck.tensors["extra/half"] = torch::randn({3, 2}).to(torch::kFloat16);
  const auto path = dir.str("m.a2wm");
  write_checkpoint(path, ck);
  CHECK(is_checkpoint_file(path));
  CHECK_FALSE(std::filesystem::exists(path + ".tmp-" + std::to_string(::getpid())));

  const auto back = read_checkpoint(path);
  CHECK(back.source == path);
  CHECK(back.config.tasks == c.tasks);
  CHECK(back.config.width == c.width);
  CHECK(a2w::env::get(back.meta, "step").as_int() == 42);
  REQUIRE(back.tensors.size() == ck.tensors.size());
  for (const auto& [name, t] : ck.tensors) {
    CAPTURE(name);
    CHECK((back.at(name).scalar_type() == t.scalar_type()));
    CHECK(torch::equal(back.at(name), t));
  }

  ck.tensors.erase("extra/int");
  ck.tensors.erase("extra/half");
  const auto original = A2World::from_checkpoint(ck);
  write_checkpoint(path, ck);
  const auto loaded = load_world_model(path);
  const auto a = original->predict(input(c)), b = loaded->predict(input(c));
  CHECK(torch::equal(a.frames, b.frames));
  CHECK(torch::equal(a.state, b.state));
  CHECK(torch::equal(a.success, b.success));
  CHECK(torch::equal(a.reward, b.reward));
}

TEST_CASE("broken checkpoints are refused with clear errors") {
  wmtest::TempDir dir("ckpt_broken");
  const auto c = wmtest::tiny();
  const auto path = dir.str("good.a2wm");
  write_checkpoint(path, make_checkpoint(c));
  const auto bytes = read_file(path);
  const auto bad = dir.str("bad.a2wm");

  SUBCASE("truncated") {
    write_file(bad, bytes.substr(0, bytes.size() - 1000));
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains("truncated: expected"),
                         a2w::InvalidArgument);
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains(bad.c_str()), a2w::InvalidArgument);
    write_file(bad, bytes.substr(0, 100));  // inside the header
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains("truncated"), a2w::InvalidArgument);
    write_file(bad, bytes.substr(0, 10));
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains("truncated"), a2w::InvalidArgument);
  }
  SUBCASE("trailing bytes") {
    write_file(bad, bytes + "xx");
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains("trailing data"), a2w::InvalidArgument);
  }
  SUBCASE("another format version") {
    auto b = bytes;
    b[4] = 2;  // version 2, little-endian
    write_file(bad, b);
    CHECK_THROWS_WITH_AS(read_checkpoint(bad),
                         doctest::Contains("format version 2, this build reads version 1"),
                         a2w::InvalidArgument);
    b[4] = 0;
    write_file(bad, b);
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains("format version 0"), a2w::InvalidArgument);
  }
  SUBCASE("a corrupted byte in the tensor data or the header") {
    auto b = bytes;
    b[b.size() - 100] = static_cast<char>(b[b.size() - 100] ^ 0x10);
    write_file(bad, b);
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains("corrupted: CRC-32"), a2w::InvalidArgument);
    b = bytes;
    const auto at = b.find("\"sigma_data\"");
    REQUIRE(at != std::string::npos);
    b[at + 1] = 'S';  // still valid JSON, another (unknown) field name: the checksum catches it first
    write_file(bad, b);
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains("corrupted: CRC-32"), a2w::InvalidArgument);
  }
  SUBCASE("not a checkpoint") {
    write_file(bad, "hello, world: this is not a model");
    CHECK_FALSE(is_checkpoint_file(bad));
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains("not an a2w world-model checkpoint"),
                         a2w::InvalidArgument);
    CHECK_THROWS_WITH_AS(load_world_model(bad), doctest::Contains("68 65 6c 6c"), a2w::InvalidArgument);
    write_file(bad, "");
    CHECK_THROWS_WITH_AS(read_checkpoint(bad), doctest::Contains("an empty file"), a2w::InvalidArgument);
    CHECK_THROWS_AS(load_world_model(dir.str("missing.a2wm")), a2w::InvalidArgument);
    CHECK_THROWS_AS(read_checkpoint(dir.str("missing.a2wm")), a2w::Error);
  }
}

TEST_CASE("loading refuses missing, extra and misshapen tensors") {
  const auto c = wmtest::tiny();
  A2WorldNet net(c);
  auto ck = make_checkpoint(c);
  ck.source = "x.a2wm";
  CHECK_NOTHROW(load_module(ck, *net, "ema/"));

  auto missing = ck;
  missing.tensors.erase("ema/block0.qkv.weight");
  CHECK_THROWS_WITH_AS(
      load_module(missing, *net, "ema/"),
      doctest::Contains("x.a2wm: expected a tensor 'ema/block0.qkv.weight' of shape [192, 64]"),
      a2w::InvalidArgument);
  auto extra = ck;
  extra.tensors["ema/block9.qkv.weight"] = torch::zeros({1});
  CHECK_THROWS_WITH_AS(load_module(extra, *net, "ema/"),
                       doctest::Contains("'ema/block9.qkv.weight' has no counterpart"), a2w::InvalidArgument);
  auto wider = c;
  wider.width = 32;
  wider.heads = 2;
  A2WorldNet narrow(wider);
  CHECK_THROWS_WITH_AS(load_module(ck, *narrow, "ema/"),
                       doctest::Contains("the model built from its config expects"), a2w::InvalidArgument);
}

TEST_CASE("inference checkpoints: float32 exact, float16 close and half the size") {
  wmtest::TempDir dir("ckpt_export");
  const auto c = wmtest::tiny();
  const auto model = A2World::from_checkpoint(make_checkpoint(c));
  model->save(dir.str("f32.a2wm"));
  model->save(dir.str("f16.a2wm"), torch::kFloat16, {{"note", "shipped"}});
  const auto f32 = A2World::load(dir.str("f32.a2wm")), f16 = A2World::load(dir.str("f16.a2wm"));
  const auto a = model->predict(input(c)), b = f32->predict(input(c)), h = f16->predict(input(c));
  CHECK(torch::equal(a.frames, b.frames));
  CHECK(torch::equal(a.state, b.state));
  CHECK((a.frames.to(torch::kInt32) - h.frames.to(torch::kInt32))
            .abs()
            .to(torch::kFloat32)
            .mean()
            .item<float>() < 1.0f);
  CHECK(std::filesystem::file_size(dir.str("f16.a2wm")) <
        0.6 * std::filesystem::file_size(dir.str("f32.a2wm")));
  const auto meta = read_checkpoint(dir.str("f16.a2wm")).meta;
  CHECK(a2w::env::get(meta, "inference_only").as_bool());
  CHECK(a2w::env::get(meta, "note").as_string() == "shipped");
}

TEST_CASE("export_world_model writes the EMA weights and keeps the training record") {
  wmtest::TempDir dir("export");
  const auto c = wmtest::tiny();
  auto ck = make_checkpoint(c);  // "ema/" weights
  A2WorldNet raw(c);             // different "model/" weights, and an optimizer moment, as in training
  add_module(ck, *raw, "model/");
  ck.tensors["optim/position/exp_avg"] = torch::zeros({1});
  write_checkpoint(dir.str("train.a2wm"), ck);

  const auto r = export_world_model(dir.str("train.a2wm"), dir.str("out.a2wm"), "float32");
  CHECK(r.step == 42);
  CHECK(r.parameters == parameter_count(*raw));
  CHECK(r.bytes == static_cast<std::int64_t>(std::filesystem::file_size(dir.str("out.a2wm"))));
  const auto out = read_checkpoint(dir.str("out.a2wm"));
  CHECK_FALSE(out.has_prefix("model/"));
  CHECK_FALSE(out.has_prefix("optim/"));
  CHECK(a2w::env::get(out.meta, "note").as_string() == "test");
  CHECK(a2w::env::get(out.meta, "exported_weights").as_string() == "ema");
  const auto a = A2World::from_checkpoint(ck)->predict(input(c)),
             b = A2World::load(dir.str("out.a2wm"))->predict(input(c));
  CHECK(torch::equal(a.frames, b.frames));
  CHECK_THROWS_WITH_AS(export_world_model(dir.str("train.a2wm"), dir.str("x.a2wm"), "int8"),
                       doctest::Contains("expected dtype float32 or float16"), a2w::InvalidArgument);
}
