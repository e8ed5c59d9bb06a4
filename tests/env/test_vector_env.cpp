#include <a2w/env/vector_env.h>
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "counter_env.h"
#include "test_util.h"

using namespace a2w::env;
using a2w::test::CounterEnv;
using a2w::test::message_of;
using a2w::test::ThreadLog;

namespace {

// VectorEnv is not movable; returning a prvalue is fine (guaranteed copy elision).
ThreadedVectorEnv make_counter_vec(int n, int threads, AutoresetMode mode, std::shared_ptr<ThreadLog> log = nullptr) {
  return ThreadedVectorEnv([log](int i) { return std::make_unique<CounterEnv>(i, 0, log); },
                   VectorEnvOptions{n, threads, mode});
}

std::int64_t obs_seed(const Dict& obs, int i) {
  return obs.at("seed").as_array().row(i).item<std::int64_t>();
}
std::int64_t obs_t(const Dict& obs, int i) {
  return obs.at("t").as_array().row(i).item<std::int64_t>();
}

Array actions_of(int n, float a0) {
  Array a(DType::kFloat32, {n, 2});
  for (int i = 0; i < n; ++i) a.row(i).data<float>()[0] = a0;
  return a;
}

// What one env of a VectorEnv should show, tracked independently of the implementation.
struct Model {
  std::uint64_t base = 0;
  int index = 0;
  std::int64_t episode = 0;
  std::int64_t t = 0;
  bool ended = false;
  std::uint64_t seed() const {
    return episode_seed(base, static_cast<std::uint64_t>(index), static_cast<std::uint64_t>(episode));
  }
  std::int64_t length() const { return CounterEnv::length_of(seed()); }
};

}  // namespace

TEST_CASE("NEXT_STEP: the step after an end resets, ignores the action, reward 0, flags false") {
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    ThreadedVectorEnv vec = make_counter_vec(3, threads, AutoresetMode::kNextStep);
    CHECK(vec.single_spec().metadata.at("autoreset_mode").as_string() == "NEXT_STEP");
    const auto& r0 = vec.reset(7);
    std::vector<Model> model(3);
    for (int i = 0; i < 3; ++i) {
      model[static_cast<std::size_t>(i)] = Model{7, i, 0, 0, false};
      CHECK(obs_seed(r0.obs, i) ==
            static_cast<std::int64_t>(episode_seed(7, static_cast<std::uint64_t>(i), 0)));
      CHECK(r0.infos[static_cast<std::size_t>(i)].at("reset_seed").as_int() == obs_seed(r0.obs, i));
      CHECK(vec.episode_seed(i) == episode_seed(7, static_cast<std::uint64_t>(i), 0));
      CHECK(vec.episode_index(i) == 0);
    }
    for (int step = 0; step < 14; ++step) {
      Array actions = actions_of(3, 0.25f);
      // An ended env's action is ignored, so even NaN is accepted for it.
      for (int i = 0; i < 3; ++i)
        if (model[static_cast<std::size_t>(i)].ended) actions.row(i).data<float>()[0] = NAN;
      const auto& r = vec.step(actions);
      for (int i = 0; i < 3; ++i) {
        Model& m = model[static_cast<std::size_t>(i)];
        CAPTURE(step);
        CAPTURE(i);
        const auto k = static_cast<std::size_t>(i);
        if (m.ended) {
          m.episode += 1;
          m.t = 0;
          m.ended = false;
          CHECK(r.reward.data<double>()[i] == 0.0);
          CHECK_FALSE(r.terminated.data<bool>()[i]);
          CHECK_FALSE(r.truncated.data<bool>()[i]);
          CHECK(r.infos[k].at("reset_seed").as_int() == static_cast<std::int64_t>(m.seed()));
          CHECK(r.obs.at("last_action").as_array().row(i).data<float>()[0] == 0.0f);
        } else {
          m.t += 1;
          const bool done = m.t == m.length();
          m.ended = done;
          CHECK(r.reward.data<double>()[i] == doctest::Approx(static_cast<double>(m.t) + 0.25));
          CHECK(r.terminated.data<bool>()[i] == (done && m.seed() % 2 == 1));
          CHECK(r.truncated.data<bool>()[i] == (done && m.seed() % 2 == 0));
          CHECK(r.infos[k].at("t").as_int() == m.t);
        }
        CHECK(obs_seed(r.obs, i) == static_cast<std::int64_t>(m.seed()));
        CHECK(obs_t(r.obs, i) == m.t);
        CHECK(vec.episode_seed(i) == m.seed());
        CHECK(vec.episode_index(i) == m.episode);
        CHECK_FALSE(r.final_obs[k].has_value());
      }
    }
    CHECK(model[0].episode >= 2);  // episodes did end and restart
  }
}

TEST_CASE("SAME_STEP: the ending step returns the new episode's obs and the final obs/info apart") {
  ThreadedVectorEnv vec = make_counter_vec(2, 2, AutoresetMode::kSameStep);
  CHECK(vec.single_spec().metadata.at("autoreset_mode").as_string() == "SAME_STEP");
  vec.reset(11);
  std::vector<Model> model{{11, 0, 0, 0, false}, {11, 1, 0, 0, false}};
  for (int step = 0; step < 12; ++step) {
    const auto& r = vec.step(actions_of(2, -0.5f));
    for (int i = 0; i < 2; ++i) {
      Model& m = model[static_cast<std::size_t>(i)];
      const auto k = static_cast<std::size_t>(i);
      CAPTURE(step);
      CAPTURE(i);
      m.t += 1;
      CHECK(r.reward.data<double>()[i] == doctest::Approx(static_cast<double>(m.t) - 0.5));
      if (m.t == m.length()) {
        CHECK(r.terminated.data<bool>()[i] == (m.seed() % 2 == 1));
        CHECK(r.truncated.data<bool>()[i] == (m.seed() % 2 == 0));
        REQUIRE(r.final_obs[k].has_value());
        REQUIRE(r.final_info[k].has_value());
        CHECK(r.final_obs[k]->at("t").as_array().item<std::int64_t>() == m.t);
        CHECK(r.final_obs[k]->at("seed").as_array().item<std::int64_t>() ==
              static_cast<std::int64_t>(m.seed()));
        CHECK(r.final_info[k]->at("t").as_int() == m.t);
        CHECK(r.final_info[k]->at("success").as_bool() == (m.seed() % 2 == 1));
        m.episode += 1;
        m.t = 0;
        // obs and info are the new episode's.
        CHECK(r.infos[k].at("reset_seed").as_int() == static_cast<std::int64_t>(m.seed()));
      } else {
        CHECK_FALSE(r.final_obs[k].has_value());
        CHECK_FALSE(r.final_info[k].has_value());
        CHECK_FALSE(r.terminated.data<bool>()[i]);
        CHECK_FALSE(r.truncated.data<bool>()[i]);
      }
      CHECK(obs_seed(r.obs, i) == static_cast<std::int64_t>(m.seed()));
      CHECK(obs_t(r.obs, i) == m.t);
    }
  }
  CHECK(model[1].episode >= 2);
}

TEST_CASE("DISABLED: ended envs must be reset with a mask, stepping them throws") {
  ThreadedVectorEnv vec = make_counter_vec(3, 1, AutoresetMode::kDisabled);
  vec.reset(5);
  std::vector<std::int64_t> lengths;
  for (int i = 0; i < 3; ++i)
    lengths.push_back(CounterEnv::length_of(episode_seed(5, static_cast<std::uint64_t>(i), 0)));
  const std::int64_t first_end = *std::min_element(lengths.begin(), lengths.end());
  for (std::int64_t s = 0; s < first_end; ++s) vec.step(actions_of(3, 0.0f));
  int ended = -1;
  for (int i = 0; i < 3; ++i)
    if (lengths[static_cast<std::size_t>(i)] == first_end) ended = i;
  REQUIRE(ended >= 0);
  const std::string msg = message_of<a2w::Error>([&] { vec.step(actions_of(3, 0.0f)); });
  CHECK(a2w::test::contains(msg,
                            "env " + std::to_string(ended) + " ended its episode and autoreset is DISABLED"));

  // Stepping only the others is fine; the ended env's row stays as it was.
  std::vector<bool> active(3, true);
  for (int i = 0; i < 3; ++i)
    if (lengths[static_cast<std::size_t>(i)] == first_end) active[static_cast<std::size_t>(i)] = false;
  const std::int64_t t_before =
      obs_t(vec.reset(std::vector<bool>(3, false), std::vector<std::uint64_t>(3, 0)).obs, ended);
  CHECK(t_before == first_end);
  if (std::count(active.begin(), active.end(), true) > 0) {
    const auto& r = vec.step(actions_of(3, 0.0f), active);
    CHECK(obs_t(r.obs, ended) == first_end);
    CHECK(r.reward.data<double>()[ended] == 0.0);
    CHECK(r.infos[static_cast<std::size_t>(ended)].empty());
  }

  // reset_mask resets exactly the masked env, with its next episode seed.
  std::vector<std::int64_t> t_others;
  for (int i = 0; i < 3; ++i)
    t_others.push_back(obs_t(vec.step(actions_of(3, 0.0f), std::vector<bool>(3, false)).obs, i));
  Array mask(DType::kBool, {3});
  mask.data<bool>()[ended] = true;
  const auto& rr = vec.reset(std::nullopt, Dict{{"reset_mask", mask}});
  for (int i = 0; i < 3; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (i == ended) {
      CHECK(obs_t(rr.obs, i) == 0);
      CHECK(vec.episode_index(i) == 1);
      CHECK(obs_seed(rr.obs, i) ==
            static_cast<std::int64_t>(episode_seed(5, static_cast<std::uint64_t>(i), 1)));
      CHECK(rr.infos[k].contains("reset_seed"));
    } else {
      CHECK(obs_t(rr.obs, i) == t_others[k]);
      CHECK(vec.episode_index(i) == 0);
      CHECK(rr.infos[k].empty());
    }
  }
  // A list of bools works as a mask too; the wrong length does not.
  vec.reset(std::nullopt, Dict{{"reset_mask", List{false, false, false}}});
  CHECK_THROWS_AS(vec.reset(std::nullopt, Dict{{"reset_mask", List{true}}}), a2w::InvalidArgument);
}

TEST_CASE("reset_mask needs DISABLED, explicit seeds, a new base seed restarts the episode count") {
  ThreadedVectorEnv vec = make_counter_vec(2, 1, AutoresetMode::kNextStep);
  const std::string msg = message_of<a2w::InvalidArgument>([&] {
    vec.reset(1, Dict{{"reset_mask", List{true, false}}});
  });
  CHECK(msg == "VectorEnv::reset: \"reset_mask\" expects DISABLED autoreset mode, got NEXT_STEP");

  vec.reset(3);
  vec.reset();  // no seed: the episode count goes on
  CHECK(vec.episode_index(1) == 1);
  CHECK(vec.episode_seed(1) == episode_seed(3, 1, 1));
  vec.reset(3);
  CHECK(vec.episode_index(1) == 0);
  CHECK(vec.episode_seed(1) == episode_seed(3, 1, 0));

  const auto& r = vec.reset({false, true}, {0, 424242});
  CHECK(obs_seed(r.obs, 1) == 424242);
  CHECK(vec.episode_seed(1) == 424242);
  CHECK(vec.episode_index(1) == 1);
  CHECK(vec.episode_seed(0) == episode_seed(3, 0, 0));
  CHECK(r.infos[0].empty());
  CHECK_THROWS_AS(vec.reset({true}, {1}), a2w::InvalidArgument);
}

TEST_CASE("batches do not depend on the number of threads") {
  auto run = [](int threads, AutoresetMode mode) {
    ThreadedVectorEnv vec([](int i) { return std::make_unique<CounterEnv>(i); }, VectorEnvOptions{5, threads, mode});
    Rng rng(99);
    std::vector<double> trace;
    const auto& r0 = vec.reset(17);
    for (int i = 0; i < 5; ++i) trace.push_back(static_cast<double>(obs_seed(r0.obs, i)));
    for (int step = 0; step < 20; ++step) {
      Array a(DType::kFloat32, {5, 2});
      for (float& x : a.span<float>()) x = static_cast<float>(rng.uniform(-1, 1));
      const auto& r = vec.step(a);
      for (int i = 0; i < 5; ++i) {
        trace.push_back(r.reward.data<double>()[i]);
        trace.push_back(static_cast<double>(obs_seed(r.obs, i)));
        trace.push_back(static_cast<double>(obs_t(r.obs, i)));
        trace.push_back(r.obs.at("last_action").as_array().row(i).data<float>()[1]);
        trace.push_back(r.terminated.data<bool>()[i] ? 1 : 0);
        trace.push_back(r.truncated.data<bool>()[i] ? 1 : 0);
        CHECK(r.obs.at("instruction").as_list()[static_cast<std::size_t>(i)].as_string() ==
              "seed " + std::to_string(static_cast<std::uint64_t>(obs_seed(r.obs, i)) % 1000));
        if (r.final_obs[static_cast<std::size_t>(i)])
          trace.push_back(static_cast<double>(
              r.final_obs[static_cast<std::size_t>(i)]->at("t").as_array().item<std::int64_t>()));
      }
    }
    return trace;
  };
  for (AutoresetMode mode : {AutoresetMode::kNextStep, AutoresetMode::kSameStep}) {
    const auto one = run(1, mode);
    CHECK(one == run(2, mode));
    CHECK(one == run(3, mode));
    CHECK(one == run(5, mode));
  }
}

TEST_CASE("env i always runs on worker i % T (worker 0 the calling thread), with one thread all on the caller") {
  auto log = std::make_shared<ThreadLog>();
  {
    ThreadedVectorEnv vec([log](int i) { return std::make_unique<CounterEnv>(i, 0, log); },
                  VectorEnvOptions{4, 2, AutoresetMode::kNextStep});
    CHECK(vec.num_threads() == 2);
    vec.reset(1);
    for (int s = 0; s < 10; ++s) vec.step(actions_of(4, 0.0f));
  }  // destruction closes each env on its worker
  REQUIRE(log->by_env.size() == 4);
  std::vector<std::thread::id> thread_of(4);
  for (int i = 0; i < 4; ++i) {
    const auto& ids = log->by_env[static_cast<std::size_t>(i)];
    REQUIRE(ids.size() >= 12);  // reset, 10 steps (some autoresets), close
    thread_of[static_cast<std::size_t>(i)] = ids[0];
    for (const auto& id : ids) CHECK(id == ids[0]);
    CHECK((ids[0] == std::this_thread::get_id()) == (i % 2 == 0));  // worker 0 is the calling thread
  }
  CHECK(thread_of[0] == thread_of[2]);
  CHECK(thread_of[1] == thread_of[3]);
  CHECK(thread_of[0] != thread_of[1]);

  auto single = std::make_shared<ThreadLog>();
  {
    ThreadedVectorEnv vec([single](int i) { return std::make_unique<CounterEnv>(i, 0, single); },
                  VectorEnvOptions{3, 1, AutoresetMode::kNextStep});
    vec.reset(1);
    vec.step(actions_of(3, 0.0f));
    vec.close();
    vec.close();  // twice is fine
    CHECK_THROWS_AS(vec.step(actions_of(3, 0.0f)), a2w::Error);
  }
  for (const auto& ids : single->by_env)
    for (const auto& id : ids) CHECK(id == std::this_thread::get_id());
}

TEST_CASE("VectorEnv rejects bad actions with a clear error before stepping anything") {
  ThreadedVectorEnv vec = make_counter_vec(2, 2, AutoresetMode::kNextStep);
  CHECK(a2w::test::contains(message_of<a2w::Error>([&] { vec.step(actions_of(2, 0.0f)); }),
                            "has not been reset"));
  vec.reset(0);
  CHECK(message_of<a2w::InvalidArgument>([&] {
          vec.step(Array(DType::kFloat32, {2, 3}));
        }) ==
        "VectorEnv::step: expected actions as float32 array of shape [2, 2], got float32 array of shape [2, "
        "3]");
  CHECK(message_of<a2w::InvalidArgument>([&] {
          vec.step(Array(DType::kFloat64, {2, 2}));
        }) ==
        "VectorEnv::step: expected actions as float32 array of shape [2, 2], got float64 array of shape [2, "
        "2]");
  Array nan = actions_of(2, 0.0f);
  nan.row(1).data<float>()[1] = NAN;
  CHECK(message_of<a2w::InvalidArgument>([&] { vec.step(nan); }) ==
        "VectorEnv::step: expected finite actions, got NaN or inf in the action of env 1");
  // Nothing was stepped by the failed calls.
  CHECK(obs_t(vec.step(actions_of(2, 0.0f)).obs, 0) == 1);
  CHECK_THROWS_AS(vec.step(actions_of(2, 0.0f), {true}), a2w::InvalidArgument);
  CHECK_THROWS_AS(ThreadedVectorEnv([](int) { return EnvPtr(); }, VectorEnvOptions{1, 1}), a2w::InvalidArgument);
  CHECK_THROWS_AS(ThreadedVectorEnv([](int i) { return std::make_unique<CounterEnv>(i); }, VectorEnvOptions{0, 1}),
                  a2w::InvalidArgument);
}

TEST_CASE("make_batch, write_row and read_row") {
  CounterEnv env;
  Dict batch = make_batch(*env.spec().observation_space, 3);
  CHECK(batch.at("last_action").as_array().shape() == Shape{3, 2});
  CHECK(batch.at("t").as_array().shape() == Shape{3});
  CHECK(batch.at("instruction").as_list().size() == 3);
  const auto r = env.reset(12);
  write_row(batch, 2, r.obs);
  const Dict row = read_row(batch, 2);
  CHECK(row.at("seed").as_array().item<std::int64_t>() == 12);
  CHECK(row.at("instruction").as_string() == "seed 12");
  CHECK(batch.at("instruction").as_list()[0].as_string().empty());

  Dict wrong = r.obs;
  wrong["last_action"] = Array::from({1.0, 2.0});
  CHECK(message_of<a2w::InvalidArgument>([&] { write_row(batch, 0, wrong); }) ==
        "write_row: observation 'last_action': expected float32 array of shape [2], got float64 array of "
        "shape [2]");
  Dict missing = r.obs;
  missing.erase("t");
  CHECK_THROWS_AS(write_row(batch, 0, missing), a2w::InvalidArgument);
  CHECK_THROWS_AS(make_batch(Box(0, 1, {2}), 2), a2w::InvalidArgument);
  CHECK(parse_autoreset_mode("same-step") == AutoresetMode::kSameStep);
  CHECK_THROWS_AS(parse_autoreset_mode("sometimes"), a2w::InvalidArgument);
}
