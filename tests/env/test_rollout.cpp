#include <a2w/env/rollout.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "counter_env.h"
#include "test_util.h"

using namespace a2w::env;
using a2w::test::CounterEnv;
using a2w::test::message_of;

namespace {

// A deterministic policy whose action for a row depends only on that row's observation (seed and step), so
// an episode's actions are the same whichever slot runs it. With horizon > 0 it returns chunks [B, H, 2].
class CounterPolicy final : public Policy {
 public:
  explicit CounterPolicy(std::int64_t horizon = 0) : horizon_(horizon) {}
  std::string name() const override { return "counter"; }

  // Action h of the chunk asked for at step t of the episode of seed s.
  static float action(std::uint64_t s, std::int64_t t, std::int64_t h) {
    return static_cast<float>(static_cast<double>(s % 7) * 0.1 - 0.3 + 0.01 * static_cast<double>(t) +
                              0.001 * static_cast<double>(h));
  }

  Array act(const Dict& obs) override {
    ++calls;
    const Array& seed = obs.at("seed").as_array();
    const Array& t = obs.at("t").as_array();
    const std::int64_t b = seed.dim(0);
    const std::int64_t h = horizon_ > 0 ? horizon_ : 1;
    Array out(DType::kFloat32, horizon_ > 0 ? Shape{b, h, 2} : Shape{b, 2});
    for (std::int64_t i = 0; i < b; ++i) {
      const auto s = static_cast<std::uint64_t>(seed.row(i).item<std::int64_t>());
      const std::int64_t step = t.row(i).item<std::int64_t>();
      for (std::int64_t k = 0; k < h; ++k) out.data<float>()[(i * h + k) * 2] = action(s, step, k);
    }
    return out;
  }

  void reset(const std::vector<bool>& mask) override {
    for (bool m : mask) resets += m ? 1 : 0;
  }

  int calls = 0;
  int resets = 0;

 private:
  std::int64_t horizon_;
};

std::vector<EpisodeMetrics> run(int num_envs, int threads, Policy& policy, RolloutOptions options) {
  ThreadedVectorEnv vec([](int i) { return std::make_unique<CounterEnv>(i); },
                        VectorEnvOptions{num_envs, threads, AutoresetMode::kDisabled});
  return rollout(vec, policy, options);
}

void check_same(const std::vector<EpisodeMetrics>& a, const std::vector<EpisodeMetrics>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    CAPTURE(k);
    CHECK(a[k].episode == b[k].episode);
    CHECK(a[k].seed == b[k].seed);
    CHECK(a[k].ret == b[k].ret);  // bitwise: same actions, same order of additions
    CHECK(a[k].length == b[k].length);
    CHECK(a[k].success_once == b[k].success_once);
    CHECK(a[k].success_at_end == b[k].success_at_end);
    CHECK(a[k].terminated == b[k].terminated);
    CHECK(a[k].truncated == b[k].truncated);
    CHECK(a[k].final_info.at("t").as_int() == b[k].final_info.at("t").as_int());
  }
}

}  // namespace

TEST_CASE("rollout metrics do not depend on num_envs or threads") {
  RolloutOptions options;
  options.episodes = 7;
  options.base_seed = 21;
  CounterPolicy p1;
  const auto one = run(1, 1, p1, options);
  REQUIRE(one.size() == 7);
  for (std::int64_t k = 0; k < 7; ++k) {
    const EpisodeMetrics& m = one[static_cast<std::size_t>(k)];
    CHECK(m.episode == k);
    CHECK(m.seed == episode_seed(21, static_cast<std::uint64_t>(k), 0));
    CHECK(m.length == CounterEnv::length_of(m.seed));
    CHECK(m.terminated == (m.seed % 2 == 1));
    CHECK(m.truncated == (m.seed % 2 == 0));
    CHECK(m.success_once == m.terminated);
    CHECK(m.success_at_end == m.terminated);
    // reward at step t is t + the action chosen at step t - 1 (horizon 1: asked at every step).
    double expected = 0;
    for (std::int64_t t = 1; t <= m.length; ++t)
      expected += static_cast<double>(t) + static_cast<double>(CounterPolicy::action(m.seed, t - 1, 0));
    CHECK(m.ret == doctest::Approx(expected));
  }
  CHECK(p1.resets == 7);

  for (auto [n, threads] :
       {std::pair{2, 1}, std::pair{2, 2}, std::pair{3, 2}, std::pair{4, 3}, std::pair{8, 2}}) {
    CAPTURE(n);
    CAPTURE(threads);
    CounterPolicy p;
    check_same(one, run(n, threads, p, options));
    CHECK(p.resets == 7);
  }

  const RolloutSummary s = summarize(one);
  CHECK(s.episodes == 7);
  double successes = 0, length = 0;
  for (const auto& m : one) {
    successes += m.success_once ? 1 : 0;
    length += static_cast<double>(m.length);
  }
  CHECK(s.success_rate == doctest::Approx(successes / 7));
  CHECK(s.mean_length == doctest::Approx(length / 7));
  CHECK(summarize({}).episodes == 0);
}

TEST_CASE("action chunks run for replan_every steps (0: whole chunk)") {
  RolloutOptions options;
  options.episodes = 5;
  options.base_seed = 4;
  // Chunk of 3 from the query at step q: step t of the episode gets chunk[(t - 1) - q].
  auto expected_return = [](std::uint64_t seed, std::int64_t length, std::int64_t every) {
    double r = 0;
    std::int64_t q = 0;
    for (std::int64_t t = 1; t <= length; ++t) {
      if (t - 1 - q >= every) q = t - 1;
      r += static_cast<double>(t) + static_cast<double>(CounterPolicy::action(seed, q, t - 1 - q));
    }
    return r;
  };
  for (int every : {0, 1, 2}) {
    CAPTURE(every);
    options.replan_every = every;
    CounterPolicy chunked(3);
    const auto one = run(1, 1, chunked, options);
    const std::int64_t executed = every == 0 ? 3 : every;
    int expected_calls = 0;
    for (const auto& m : one) {
      CHECK(m.ret == doctest::Approx(expected_return(m.seed, m.length, executed)));
      expected_calls += static_cast<int>((m.length + executed - 1) / executed);
    }
    CHECK(chunked.calls == expected_calls);  // one env: a query exactly when its chunk ran out
    for (int n : {2, 3}) {
      CounterPolicy p(3);
      check_same(one, run(n, 2, p, options));
    }
  }
}

// Notes, at every act_rows() call, each row's step in its episode and whether the rollout wanted its output.
class WantedLog final : public Policy {
 public:
  std::string name() const override { return "wanted-log"; }
  Array act(const Dict& obs) override { return act_rows(obs, {}); }
  Array act_rows(const Dict& obs, const std::vector<bool>& wanted) override {
    const Array& t = obs.at("t").as_array();
    const std::int64_t b = t.dim(0);
    REQUIRE(static_cast<std::int64_t>(wanted.size()) == b);
    for (std::int64_t i = 0; i < b; ++i)
      log.emplace_back(t.row(i).item<std::int64_t>(), wanted[static_cast<std::size_t>(i)]);
    Array out(DType::kFloat32, {b, 3, 2});
    std::fill(out.data<float>(), out.data<float>() + out.size(), 0.0f);
    return out;
  }
  std::vector<std::pair<std::int64_t, bool>> log;
};

TEST_CASE("rollout tells the policy which envs take its output") {
  // Chunks of 3 in episodes of 2 to 4 steps: the envs fall out of step, and an env is asked again exactly
  // when it has executed its whole chunk (step 0, 3, ... of its episode).
  RolloutOptions options;
  options.episodes = 12;
  options.base_seed = 4;
  WantedLog policy;
  run(3, 1, policy, options);
  int wanted = 0, discarded_mid_chunk = 0;
  for (const auto& [t, w] : policy.log) {
    CAPTURE(t);
    if (w) {
      ++wanted;
      CHECK(t % 3 == 0);
    } else if (t % 3 != 0) {
      ++discarded_mid_chunk;
    }
  }
  CHECK(wanted >= 12);             // every episode asked at least once
  CHECK(discarded_mid_chunk > 0);  // and some rows were mid-chunk when a neighbour asked
}

TEST_CASE("rollout options: explicit seeds, callbacks, and errors") {
  CounterPolicy policy;
  RolloutOptions options;
  options.episodes = 3;
  options.seeds = {100, 101, 102, 103};
  std::vector<std::int64_t> finished;
  std::map<std::int64_t, int> frames;
  options.on_episode = [&](const EpisodeMetrics& m) { finished.push_back(m.episode); };
  options.on_observe = [&](const Dict& obs, const std::vector<std::int64_t>& slot_episode) {
    CHECK(obs.at("t").as_array().dim(0) == 2);
    for (std::int64_t e : slot_episode)
      if (e >= 0) ++frames[e];
  };
  const auto m = run(2, 1, policy, options);
  REQUIRE(m.size() == 3);
  CHECK(m[0].seed == 100);
  CHECK(m[2].seed == 102);
  CHECK(finished.size() == 3);
  for (const auto& e : m) CHECK(frames[e.episode] == e.length + 1);  // the reset frame and one per step

  options.seeds = {1};
  CHECK_THROWS_AS(run(1, 1, policy, options), a2w::InvalidArgument);
  options.seeds.clear();

  ThreadedVectorEnv next([](int i) { return std::make_unique<CounterEnv>(i); }, VectorEnvOptions{1, 1});
  CHECK(message_of<a2w::InvalidArgument>([&] { rollout(next, policy, options); }) ==
        "rollout: expected a VectorEnv in DISABLED autoreset mode, got NEXT_STEP");

  class BadPolicy final : public Policy {
   public:
    std::string name() const override { return "bad"; }
    Array act(const Dict&) override { return Array(DType::kFloat32, {2, 3}); }
  } bad;
  CHECK(message_of<a2w::InvalidArgument>([&] { run(2, 1, bad, options); }) ==
        "rollout: expected policy 'bad' to return float32 actions [2, 2] or chunks [2, H, 2], got float32 "
        "array "
        "of shape [2, 3]");
  options.episodes = 0;
  CHECK(run(2, 1, bad, options).empty());
}

TEST_CASE("RandomPolicy samples the action Box, seeded") {
  auto space = box(-1, 1, {3});
  RandomPolicy a(space, 5), b(space, 5);
  Dict obs{{"x", Array(DType::kFloat32, {4, 2})}};
  const Array x = a.act(obs);
  CHECK(x.shape() == Shape{4, 3});
  CHECK(x.equals(b.act(obs)));
  for (std::int64_t i = 0; i < 4; ++i) CHECK(space->contains(Value(x.row(i).clone())));
  CHECK_FALSE(x.equals(a.act(obs)));
  CHECK_THROWS_AS(RandomPolicy(discrete(3), 0), a2w::InvalidArgument);

  RandomPolicy r(box(-1, 1, {2}), 1);
  ThreadedVectorEnv vec([](int i) { return std::make_unique<CounterEnv>(i); },
                        VectorEnvOptions{2, 1, AutoresetMode::kDisabled});
  RolloutOptions options;
  options.episodes = 4;
  CHECK(rollout(vec, r, options).size() == 4);
}

namespace {

// Always the same action, from its own buffer (a NoisyPolicy must not write into it).
class ConstantPolicy final : public Policy {
 public:
  std::string name() const override { return "constant"; }
  Array act(const Dict&) override {
    for (std::int64_t i = 0; i < buffer.size(); ++i) buffer.data<float>()[i] = 0.9f;
    return buffer;
  }
  Array buffer{DType::kFloat32, {2, 3}};
};

}  // namespace

TEST_CASE(
    "NoisyPolicy adds seeded Gaussian noise, clips to [-1, 1], leaves the inner policy's buffer alone") {
  auto inner = std::make_unique<ConstantPolicy>();
  ConstantPolicy* raw = inner.get();
  NoisyPolicy a(std::move(inner), 0.5, 3), b(std::make_unique<ConstantPolicy>(), 0.5, 3);
  Dict obs{{"x", Array(DType::kFloat32, {2, 1})}};
  const Array x = a.act(obs);
  CHECK(x.equals(b.act(obs)));
  bool moved = false;
  for (std::int64_t i = 0; i < x.size(); ++i) {
    CHECK(x.data<float>()[i] <= 1.0f);
    CHECK(x.data<float>()[i] >= -1.0f);
    moved |= x.data<float>()[i] != 0.9f;
  }
  CHECK(moved);
  CHECK(raw->buffer.data<float>()[0] == 0.9f);
  CHECK_FALSE(x.equals(a.act(obs)));  // the stream moves on
  CHECK(NoisyPolicy(std::make_unique<ConstantPolicy>(), 0.0, 1).act(obs).equals(raw->act(obs)));
  CHECK_THROWS_AS(NoisyPolicy(std::make_unique<ConstantPolicy>(), -0.1, 1), a2w::InvalidArgument);
}

namespace {

// 0.5 everywhere, as many rows as the observations have.
class HalfPolicy final : public Policy {
 public:
  std::string name() const override { return "half"; }
  Array act(const Dict& obs) override {
    Array out(DType::kFloat32, {obs.at("x").as_array().dim(0), 3});
    for (std::int64_t i = 0; i < out.size(); ++i) out.data<float>()[i] = 0.5f;
    return out;
  }
};

// Notes the seeds each reset gives, by row.
class SeedLog final : public Policy {
 public:
  std::string name() const override { return "seed-log"; }
  Array act(const Dict&) override {
    Array out(DType::kFloat32, {2, 2});
    for (std::int64_t i = 0; i < out.size(); ++i) out.data<float>()[i] = 0.0f;
    return out;
  }
  void reset(const std::vector<bool>&) override { FAIL("the rollout loop must give the episode seeds"); }
  void reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) override {
    for (std::size_t i = 0; i < mask.size(); ++i)
      if (mask[i]) seen.push_back(seeds[i]);
  }
  std::vector<std::uint64_t> seen;
};

// Row `row` of two act() calls after a seeded reset of a batch of `seeds.size()` rows, all starting.
template <class P>
std::vector<Array> episode_rows(P& policy, const std::vector<std::uint64_t>& seeds, std::int64_t row) {
  policy.reset(std::vector<bool>(seeds.size(), true), seeds);
  const Dict obs{{"x", Array(DType::kFloat32, {static_cast<std::int64_t>(seeds.size()), 1})}};
  std::vector<Array> rows;
  for (int call = 0; call < 2; ++call) rows.push_back(policy.act(obs).row(row).clone());
  return rows;
}

}  // namespace

TEST_CASE("RandomPolicy and NoisyPolicy: an episode's draws follow its seed, not its batch or slot") {
  auto space = box(-1, 1, {3});
  RandomPolicy alone(space, 5), batched(space, 5), other_seed(space, 6);
  const auto a = episode_rows(alone, {42}, 0);
  const auto b = episode_rows(batched, {7, 9, 42}, 2);
  CHECK(a[0].equals(b[0]));
  CHECK(a[1].equals(b[1]));
  CHECK_FALSE(a[0].equals(a[1]));
  CHECK_FALSE(a[0].equals(episode_rows(other_seed, {42}, 0)[0]));  // the policy's seed counts too
  CHECK_FALSE(a[0].equals(episode_rows(alone, {43}, 0)[0]));       // and the episode's

  // Noise on a deterministic policy, and on a random one, which gets the seeds too.
  NoisyPolicy n1(std::make_unique<HalfPolicy>(), 0.3, 3), n2(std::make_unique<HalfPolicy>(), 0.3, 3);
  const auto x = episode_rows(n1, {42}, 0), y = episode_rows(n2, {1, 42}, 1);
  CHECK(x[0].equals(y[0]));
  CHECK(x[1].equals(y[1]));
  CHECK_FALSE(x[0].equals(episode_rows(n1, {1, 42}, 0)[0]));
  NoisyPolicy r1(std::make_unique<RandomPolicy>(space, 8), 0.3, 3),
      r2(std::make_unique<RandomPolicy>(space, 8), 0.3, 3);
  CHECK(episode_rows(r1, {5}, 0)[1].equals(episode_rows(r2, {9, 9, 5}, 2)[1]));

  // A row that discards an output (act_rows with wanted false) keeps its stream: its next draw is the one an
  // episode alone gets first.
  NoisyPolicy skip(std::make_unique<HalfPolicy>(), 0.3, 3);
  skip.reset({true, true}, {1, 42});
  const Dict two{{"x", Array(DType::kFloat32, {2, 1})}};
  const Array first = skip.act_rows(two, {true, false});
  CHECK(first.row(1).data<float>()[0] == 0.5f);  // not drawn for
  CHECK(skip.act_rows(two, {true, true}).row(1).equals(x[0]));

  // The rollout loop gives every episode's seed to the policy's reset.
  SeedLog log;
  ThreadedVectorEnv vec([](int i) { return std::make_unique<CounterEnv>(i); },
                        VectorEnvOptions{2, 1, AutoresetMode::kDisabled});
  RolloutOptions options;
  options.episodes = 5;
  options.base_seed = 11;
  const auto episodes = rollout(vec, log, options);
  REQUIRE(episodes.size() == 5);
  std::vector<std::uint64_t> expected;
  for (const auto& e : episodes) expected.push_back(e.seed);
  std::sort(expected.begin(), expected.end());
  std::sort(log.seen.begin(), log.seen.end());
  CHECK(log.seen == expected);
}
