#include "a2w/wm/policy_zoo.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "a2w/env/atomic_file.h"
#include "a2w/env/error.h"
#include "a2w/env/json.h"
#include "a2w/wm/a2world_policy_train.h"

namespace a2w::wm {

namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error("policy zoo: could not read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "0.3" rather than "0.300000": the name make_policy parses back.
std::string noise_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

}  // namespace

env::Dict ZooEntry::to_dict() const {
  return {{"name", name}, {"kind", kind}, {"origin", origin}, {"file", file}, {"noise", noise}};
}

ZooEntry ZooEntry::from_dict(const env::Dict& d) {
  ZooEntry e;
  auto text = [&](const char* key) {
    const auto it = d.find(key);
    if (it == d.end() || !it->second.is_string())
      throw InvalidArgument(std::string("policy zoo entry: expected text '") + key + "', got " +
                            (it == d.end() ? std::string("none") : it->second.kind()));
    return it->second.as_string();
  };
  e.name = text("name");
  e.kind = text("kind");
  e.origin = text("origin");
  e.file = text("file");
  const auto it = d.find("noise");
  if (it == d.end() || !it->second.is_number())
    throw InvalidArgument("policy zoo entry: expected a number 'noise', got " +
                          (it == d.end() ? std::string("none") : it->second.kind()));
  e.noise = it->second.is_int() ? static_cast<double>(it->second.as_int()) : it->second.as_double();
  if (!std::isfinite(e.noise) || e.noise < 0)
    throw InvalidArgument("policy zoo entry '" + e.name + "': expected noise >= 0, got " +
                          std::to_string(e.noise));
  if (e.kind != "bc" && e.kind != "a2w-policy" && e.kind != "random")
    throw InvalidArgument("policy zoo entry '" + e.name + "': expected kind bc, a2w-policy or random, got '" +
                          e.kind + "'");
  if (e.kind != "random" && e.file.empty())
    throw InvalidArgument("policy zoo entry '" + e.name + "': a " + e.kind + " policy needs its 'file'");
  return e;
}

env::Dict PolicyZoo::to_dict() const {
  env::List l;
  for (const auto& e : entries) l.push_back(e.to_dict());
  return {{"manifest", manifest}, {"policies", l}};
}

std::string PolicyZoo::to_text() const {
  std::ostringstream s;
  s << "policy zoo: " << entries.size() << " policies in " << manifest << "\n";
  for (const auto& e : entries) s << "  " << e.name << "  (" << e.kind << ": " << e.origin << ")\n";
  return s.str();
}

namespace {

// The stages of one run: the snapshots (checked) and the end.
std::vector<std::int64_t> stages_of(const std::vector<std::int64_t>& snapshots, std::int64_t end,
                                    const char* what) {
  std::set<std::int64_t> seen;
  for (std::int64_t s : snapshots) {
    if (s <= 0 || s >= end)
      throw InvalidArgument(std::string("policy zoo: expected ") + what + " snapshots in (0, " +
                            std::to_string(end) + ") (before the last step), got " + std::to_string(s));
    if (!seen.insert(s).second)
      throw InvalidArgument(std::string("policy zoo: ") + what + " snapshot " + std::to_string(s) +
                            " given twice");
  }
  std::vector<std::int64_t> stages(seen.begin(), seen.end());
  stages.push_back(end);
  return stages;
}

// One run saved at each stage: `train(out, stop_at)` continues the working checkpoint `work` up to stop_at
// (0: the end); each stage's copy is a zoo member, kept when it is already there. Then the noise variants of
// the last one.
template <class Train>
void add_run(PolicyZoo& zoo, const fs::path& dir, const std::string& prefix, const std::string& kind,
             const std::vector<std::int64_t>& stages, const std::vector<double>& noise,
             const std::string& what, Train&& train) {
  const fs::path work = dir / (prefix + "_run.a2wp");
  for (std::int64_t s : stages) {
    const std::string name = prefix + "_step" + std::to_string(s);
    const fs::path file = dir / (name + ".a2wp");
    if (!fs::exists(file)) {
      train(work.string(), s == stages.back() ? 0 : s);
      env::write_file_atomic(file, read_all(work));
    }
    zoo.entries.push_back({name, kind,
                           what + ", step " + std::to_string(s) + " of " + std::to_string(stages.back()),
                           file.filename().string(), 0.0});
  }
  const ZooEntry last = zoo.entries.back();
  for (double n : noise) {
    std::string name = last.name, origin = last.name;
    name.append("@").append(noise_text(n));
    origin.append(" with Gaussian action noise ").append(noise_text(n));
    zoo.entries.push_back({name, kind, origin, last.file, n});
  }
}

}  // namespace

PolicyZoo build_policy_zoo(const PolicyZooJob& job) {
  if (job.out_dir.empty()) throw InvalidArgument("policy zoo: expected an output folder");
  const auto bc_stages = stages_of(job.snapshots, job.train.steps, "bc");
  std::vector<std::int64_t> a2wp_stages;
  if (job.a2w_policy) a2wp_stages = stages_of(job.a2w_policy_snapshots, job.a2w_policy->steps, "a2w-policy");
  for (double n : job.noise)
    if (!std::isfinite(n) || n <= 0)
      throw InvalidArgument("policy zoo: expected noise levels > 0, got " + std::to_string(n));
  const fs::path dir(job.out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("policy zoo: could not create " + dir.string() + ": " + ec.message());

  PolicyZoo zoo;
  if (job.random) zoo.entries.push_back({"random", "random", "uniform random actions", "", 0.0});
  const std::string bc_what = "behaviour cloning (" + job.train.config + "), seed " +
                              std::to_string(job.train.seed) + ", data " + joined(job.train.data) +
                              (job.train.tasks.empty() ? "" : ", tasks " + joined(job.train.tasks));
  add_run(zoo, dir, "bc", "bc", bc_stages, job.noise, bc_what,
          [&](const std::string& out, std::int64_t stop) {
            BCTrainJob t = job.train;
            t.out = out;
            t.resume = true;
            t.stop_at_step = stop;
            train_bc(t);
          });
  if (job.a2w_policy) {
    const A2WorldPolicyTrainJob& a = *job.a2w_policy;
    const std::string what = "A2World-policy " +
                             (a.from.empty() ? "from scratch (" + a.config + ")" : "from " + a.from) +
                             ", seed " + std::to_string(a.seed) + ", data " + joined(a.data);
    add_run(zoo, dir, "a2wp", "a2w-policy", a2wp_stages, job.noise, what,
            [&](const std::string& out, std::int64_t stop) {
              A2WorldPolicyTrainJob t = a;
              t.out = out;
              t.resume = true;
              t.stop_at_step = stop;
              train_a2world_policy(t);
            });
  }
  std::string lines;
  for (const auto& e : zoo.entries) lines += env::to_json(e.to_dict()) + "\n";
  zoo.manifest = (dir / "manifest.jsonl").string();
  env::write_file_atomic(zoo.manifest, lines);
  return zoo;
}

std::vector<ZooEntry> read_zoo_manifest(const std::string& path) {
  const std::string text = read_all(path);
  const fs::path dir = fs::path(path).parent_path();
  std::vector<ZooEntry> out;
  std::istringstream in(text);
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    ZooEntry e;
    try {
      const env::Value v = env::parse_json(line);
      if (!v.is_dict()) throw InvalidArgument("expected a JSON object, got " + v.kind());
      e = ZooEntry::from_dict(v.as_dict());
    } catch (const InvalidArgument& err) {
      throw InvalidArgument(where + ": " + err.what());
    }
    if (!e.file.empty() && !fs::is_regular_file(dir / e.file))
      throw InvalidArgument(where + ": policy '" + e.name + "' names the file " + (dir / e.file).string() +
                            ", which does not exist");
    out.push_back(std::move(e));
  }
  if (out.empty()) throw InvalidArgument(path + ": expected at least one policy line, got none");
  return out;
}

std::vector<std::string> zoo_policy_names(const std::string& manifest_path) {
  const fs::path dir = fs::path(manifest_path).parent_path();
  std::vector<std::string> names;
  for (const auto& e : read_zoo_manifest(manifest_path)) {
    std::string name = e.kind == "random" ? std::string("random") : (dir / e.file).string();
    if (e.noise > 0) name.append("@").append(noise_text(e.noise));
    names.push_back(name);
  }
  return names;
}

std::vector<std::string> expand_zoo_manifests(const std::vector<std::string>& policies) {
  std::vector<std::string> out;
  for (const auto& p : policies) {
    if (!is_zoo_manifest(p)) {
      out.push_back(p);
      continue;
    }
    for (auto& name : zoo_policy_names(p)) out.push_back(std::move(name));
  }
  return out;
}

bool is_zoo_manifest(const std::string& name) {
  return name.size() > 6 && name.compare(name.size() - 6, 6, ".jsonl") == 0;
}

}  // namespace a2w::wm
