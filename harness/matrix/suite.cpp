#include "harness/matrix/suite.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/matrix/toml_reader.hpp"
#include "scenarios/generator_table.hpp"
#include "vm/boot/boot_plan.hpp"
#include "vm/common/error.hpp"
#include "vm/common/source_dir.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

// A suite file's reader: the typed getters of TomlReader plus the suite's own rules.
class SuiteReader : TomlReader {
 public:
  explicit SuiteReader(std::string path) : TomlReader(std::move(path)) {}

  // A path in the suite file, relative to the suite file's directory.
  std::string suite_relative(const std::string& path) const {
    fs::path p(path);
    if (p.is_relative()) p = fs::path(TomlReader::path()).parent_path() / p;
    return fs::absolute(p).lexically_normal().string();
  }

  // kernels = ["debian:bookworm", { spec = "debian-source:bookworm:6.1", patches = ["x.patch"] }]
  std::vector<KernelSpec> kernels_at(const toml::table& root) const {
    std::vector<KernelSpec> out;
    const toml::node* n = root.get("kernels");
    if (!n) return out;
    if (!n->is_array()) fail(n, "'kernels' must be an array of kernel specs");
    for (const auto& e : *n->as_array()) {
      if (e.is_string()) {
        out.emplace_back(std::string(**e.as_string()));
        continue;
      }
      if (!e.is_table())
        fail(&e, "each kernel is a spec string or a table { spec = \"...\", patches = [...], config = \"...\" }");
      const toml::table& t = *e.as_table();
      only_keys(t, "a kernel table", {"spec", "patches", "config", "label"});
      KernelSpec k(string_at(t, "spec", ""));
      if (k.spec.empty()) fail(&e, "a kernel table needs 'spec', e.g. spec = \"debian-source:bookworm:6.1\"");
      for (const auto& patch : strings_at(t, "patches")) k.patches.push_back(suite_relative(patch));
      if (t.get("config")) k.config = suite_relative(string_at(t, "config", ""));
      k.label = string_at(t, "label", "");
      if (!k.is_source() && (!k.patches.empty() || !k.config.empty()))
        fail(&e, "patches and config apply only to kernels built from source (src:PATH or debian-source:<suite>)");
      out.push_back(k);
    }
    return out;
  }

  void check_modes(const toml::table& t, const std::vector<std::string>& modes) const {
    for (const auto& m : modes)
      if (m != "v1" && m != "v2") fail(t.get("cgroup_modes"), "cgroup mode '" + m + "' is not v1 or v2");
  }

  nlohmann::json job(const toml::table& t, const std::vector<std::string>& suite_modes) const {
    only_keys(t, "[[job]]",
              {"id", "kind", "scenario", "cgroup_modes", "targets", "samples", "warmup", "latency", "kernel_trace",
               "reclaim", "params", "rounds", "ops", "families", "scratch_disk"});
    nlohmann::json j;
    std::string id = string_at(t, "id", "");
    if (id.empty()) fail(&t, "[[job]] needs an 'id', e.g. id = \"memcg-churn/tmpfs-4096\"");
    j["job_id"] = id;
    std::string kind = string_at(t, "kind", "sweep");
    if (kind != "sweep" && kind != "speed") fail(t.get("kind"), "'kind' must be \"sweep\" or \"speed\"");
    j["kind"] = kind;
    std::vector<std::string> modes = strings_at(t, "cgroup_modes");
    check_modes(t, modes);
    for (const auto& m : modes)
      if (std::find(suite_modes.begin(), suite_modes.end(), m) == suite_modes.end())
        fail(t.get("cgroup_modes"),
             "job " + id + " asks for cgroup mode " + m + ", which the suite's cgroup_modes lack");
    if (!modes.empty()) j["cgroup_modes"] = modes;
    if (kind == "speed") {
      j["rounds"] = int_at(t, "rounds", 5, 1);
      j["ops"] = scalars_at(t, "ops");
      if (t.get("families")) j["families"] = strings_at(t, "families");
      for (const char* k : {"scenario", "targets", "samples", "warmup", "latency", "kernel_trace", "reclaim", "params"})
        if (t.get(k)) fail(t.get(k), fmt::format("'{}' belongs to sweep jobs, not kind = \"speed\"", k));
      return j;
    }
    for (const char* k : {"rounds", "ops", "families"})
      if (t.get(k)) fail(t.get(k), fmt::format("'{}' belongs to kind = \"speed\" jobs", k));
    j["scenario"] = string_at(t, "scenario", "");
    try {
      generator_info(j["scenario"]);
    } catch (const std::invalid_argument& e) {
      fail(t.get("scenario") ? t.get("scenario") : &t, "job " + id + ": " + e.what());
    }
    if (!t.get("targets")) fail(&t, "job " + id + " needs 'targets', e.g. targets = [0, 500, 1000]");
    j["targets"] = ints_at(t, "targets");
    j["samples"] = int_at(t, "samples", 200, 1);
    j["warmup"] = int_at(t, "warmup", 10, 0);
    j["latency"] = bool_at(t, "latency", true);
    j["kernel_trace"] = bool_at(t, "kernel_trace", false);
    j["reclaim"] = bool_at(t, "reclaim", false);
    j["params"] = scalars_at(t, "params");
    if (bool_at(t, "scratch_disk", false)) j["scratch_disk"] = true;
    try {
      check_sweep_job(j);  // the same check the host makes after overrides and the guest before any work
    } catch (const std::invalid_argument& e) {
      const std::string why = e.what();
      fail(why.find("'targets'") != std::string::npos ? t.get("targets") : t.get("params") ? t.get("params") : &t, why);
    }
    return j;
  }

  Suite suite(const toml::table& root) const {
    only_keys(root, "the suite", {"name", "description", "kernels", "cgroup_modes", "repetitions", "vm", "job"});
    Suite s;
    s.name = string_at(root, "name", fs::path(path()).stem().string());
    s.description = string_at(root, "description", "");
    s.kernels = kernels_at(root);
    if (s.kernels.empty()) fail(&root, "the suite needs kernels = [...], e.g. [\"debian:bookworm\"]");
    s.cgroup_modes = strings_at(root, "cgroup_modes");
    if (s.cgroup_modes.empty()) s.cgroup_modes = {"v1"};
    check_modes(root, s.cgroup_modes);
    s.repetitions = static_cast<int>(int_at(root, "repetitions", 1, 1));
    if (const toml::node* vm = root.get("vm")) {
      if (!vm->is_table()) fail(vm, "'vm' must be a table: [vm]");
      const toml::table& t = *vm->as_table();
      only_keys(t, "[vm]",
                {"vcpus", "memory_mib", "disk_mib", "timeout_s", "hello_timeout_s", "parallel", "append", "machine"});
      s.vm.vcpus = static_cast<int>(int_at(t, "vcpus", s.vm.vcpus, 1));
      s.vm.memory_mib = static_cast<int>(int_at(t, "memory_mib", 0, 0));
      if (s.vm.memory_mib != 0 && s.vm.memory_mib < 128)
        fail(t.get("memory_mib"), "'memory_mib' must be 0 (auto) or >= 128");
      s.vm.disk_mib = static_cast<int>(int_at(t, "disk_mib", s.vm.disk_mib, 64));
      s.vm.timeout_s = number_at(t, "timeout_s", s.vm.timeout_s);
      s.vm.hello_timeout_s = number_at(t, "hello_timeout_s", s.vm.hello_timeout_s);
      s.vm.parallel = static_cast<int>(int_at(t, "parallel", 0, 0));
      s.vm.append = string_at(t, "append", "");
      s.vm.machine = string_at(t, "machine", "auto");
      if (!known_machine(s.vm.machine)) fail(t.get("machine"), "'machine' must be \"auto\", \"pc\" or \"microvm\"");
    }
    const toml::node* jobs = root.get("job");
    if (!jobs) fail(&root, "the suite has no [[job]] tables");
    if (!jobs->is_array_of_tables()) fail(jobs, "'job' must be written as [[job]] tables");
    std::set<std::string> ids;
    for (const auto& j : *jobs->as_array()) {
      nlohmann::json job = this->job(*j.as_table(), s.cgroup_modes);
      if (!ids.insert(job["job_id"]).second) fail(&j, "two jobs share the id " + job["job_id"].get<std::string>());
      s.jobs.push_back(job);
    }
    return s;
  }
};

}  // namespace

bool job_uses_cgroups(const nlohmann::json& job) {
  // Speed jobs time memcg-churn and pause-loop against their floors.
  return job.value("kind", "sweep") == "speed" || generator_info(job.value("scenario", "")).uses_cgroups;
}

std::string find_suite_file(const std::string& name_or_path) {
  if (name_or_path.find('/') != std::string::npos || fs::path(name_or_path).extension() == ".toml") {
    if (!fs::exists(name_or_path)) throw KregError("suite file " + name_or_path + " does not exist");
    return name_or_path;
  }
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("KREG_SUITES_DIR")) dirs.push_back(env);
  dirs.push_back(source_dir() + "/suites");
  dirs.push_back("suites");
  std::set<std::string> known;
  for (const auto& dir : dirs) {
    if (fs::exists(dir + "/" + name_or_path + ".toml")) return dir + "/" + name_or_path + ".toml";
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".toml") known.insert(e.path().stem().string());
  }
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  throw KregError("unknown suite '" + name_or_path + "' (known: " + list + "; or give a path to a .toml file)");
}

Suite parse_suite(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw KregError(fmt::format("{}:{}: {}", path, e.source().begin.line, e.description()));
  }
  Suite s = SuiteReader(path).suite(root);
  s.path = path;
  s.text = text;
  return s;
}

namespace {

nlohmann::json kernels_json(const std::vector<KernelSpec>& kernels) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& k : kernels) out.push_back(to_json(k));
  return out;
}

}  // namespace

nlohmann::json suite_to_json(const Suite& s) {
  return {{"name", s.name},
          {"path", s.path},
          {"description", s.description},
          {"kernels", kernels_json(s.kernels)},
          {"cgroup_modes", s.cgroup_modes},
          {"repetitions", s.repetitions},
          {"jobs", s.jobs},
          {"vm",
           {{"vcpus", s.vm.vcpus},
            {"memory_mib", s.vm.memory_mib},
            {"disk_mib", s.vm.disk_mib},
            {"timeout_s", s.vm.timeout_s},
            {"hello_timeout_s", s.vm.hello_timeout_s},
            {"parallel", s.vm.parallel},
            {"append", s.vm.append},
            {"machine", s.vm.machine}}}};
}

Suite suite_from_json(const nlohmann::json& j) {
  Suite s;
  s.name = j.at("name");
  s.path = j.value("path", "");
  s.description = j.value("description", "");
  for (const auto& k : j.at("kernels")) s.kernels.push_back(kernel_spec_from_json(k));
  s.cgroup_modes = j.at("cgroup_modes").get<std::vector<std::string>>();
  s.repetitions = j.value("repetitions", 1);
  s.jobs = j.at("jobs").get<std::vector<nlohmann::json>>();
  const auto& vm = j.at("vm");
  s.vm = {vm.at("vcpus"),           vm.at("memory_mib"), vm.at("disk_mib"), vm.at("timeout_s"),
          vm.at("hello_timeout_s"), vm.at("parallel"),   vm.at("append"),   vm.value("machine", "auto")};
  return s;
}

Suite load_suite(const std::string& name_or_path) {
  std::string path = find_suite_file(name_or_path);
  std::ifstream in(path);
  if (!in) throw KregError("cannot read suite file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_suite(text.str(), path);
}

}  // namespace kreg
