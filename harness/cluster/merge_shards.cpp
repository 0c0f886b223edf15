// kreg merge, the merging itself: every unit of a plan found in the shard
// results, identical duplicates kept once, missing ones explained.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "harness/cluster/merge_command.hpp"
#include "harness/store/files.hpp"
#include "harness/store/result_store.hpp"
#include "harness/store/run_file.hpp"
#include "vm/common/error.hpp"

namespace fs = std::filesystem;

namespace kreg {

namespace {

std::string join(const std::vector<std::string>& items, const std::string& sep, size_t most = SIZE_MAX) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < most; ++i) out += (i ? sep : "") + items[i];
  if (items.size() > most) out += fmt::format("{}... ({} more)", sep, items.size() - most);
  return out;
}

}  // namespace

MergeResult merge_shards(const nlohmann::json& plan, const std::string& plan_sha256,
                         const std::vector<ShardRun>& shards) {
  MergeResult r;
  const std::string plan_id = plan.at("plan_id");
  // Planned kernels by label, planned units by id.
  std::map<std::string, std::string> kernel_sha;
  for (const auto& k : plan.at("kernels")) kernel_sha[k.at("label")] = k.at("kernel").value("image_sha256", "");
  std::map<std::string, const nlohmann::json*> planned;
  for (const auto& u : plan.at("units")) planned[u.at("unit_id")] = &u;

  struct Found {
    std::string dir;
    int shard = 0;
    nlohmann::json entry;
    bool has_record = false;
  };
  std::map<std::string, std::vector<Found>> by_unit;
  std::string accel, accel_dir;
  nlohmann::json shard_facts = nlohmann::json::array(), failures = nlohmann::json::array();
  double wall_max = 0, wall_sum = 0;
  bool any_failed = false;
  std::set<int> seen_shards;
  for (const auto& s : shards) {
    const nlohmann::json& info = s.run.value("shard", nlohmann::json::object());
    const int index = info.value("index", -1);
    const std::string where = fmt::format("shard {} ({})", index, s.dir);
    if (info.value("plan_sha256", "") != plan_sha256) {
      r.errors.push_back(fmt::format("{} belongs to plan {} ({}), not {} ({})", where, info.value("plan_id", "?"),
                                     info.value("plan_sha256", "?").substr(0, 12), plan_id, plan_sha256.substr(0, 12)));
      continue;
    }
    if (index < 0 || index >= static_cast<int>(plan.at("shards").size())) {
      r.errors.push_back(where + " has no such shard in plan " + plan_id);
      continue;
    }
    if (s.run.value("suite_effective", nlohmann::json()) != plan.at("suite_effective"))
      r.errors.push_back(where + " ran another suite than the plan's (suite_effective differs)");
    for (const auto& k : s.run.value("kernels", nlohmann::json::array())) {
      std::string label = k.value("label", ""),
                  sha = k.value("kernel", nlohmann::json::object()).value("image_sha256", "");
      if (!kernel_sha.contains(label))
        r.errors.push_back(where + " ran kernel " + label + ", which the plan does not name");
      else if (sha != kernel_sha[label])
        r.errors.push_back(fmt::format("{} booted kernel {} image {}, the plan's is {}", where, label,
                                       sha.substr(0, 12), kernel_sha[label].substr(0, 12)));
    }
    std::string a = s.run.value("machine", nlohmann::json::object()).value("accelerator", "");
    if (accel.empty())
      accel = a, accel_dir = where;
    else if (a != accel)
      r.errors.push_back(
          fmt::format("{} ran under {} but {} under {}: timings would not compare", where, a, accel_dir, accel));
    if (!seen_shards.insert(index).second)
      r.notes.push_back(fmt::format("shard {} appears more than once ({})", index, s.dir));
    const std::vector<std::string> listed = plan.at("shards").at(static_cast<size_t>(index)).at("units");
    const std::set<std::string> in_shard(listed.begin(), listed.end());
    std::set<std::string> known_records;
    for (const auto& e : s.run.value("units", nlohmann::json::array())) {
      const std::string id = e.value("unit_id", "");
      known_records.insert(e.value("record", ""));
      if (!in_shard.contains(id)) {
        r.errors.push_back(fmt::format("{} holds unit {}, which the plan gives to {}", where, id,
                                       planned.contains(id) ? "shard " + (*planned[id])["shard"].dump() : "no shard"));
        continue;
      }
      if (e.value("record", "") != (*planned[id])["record"]) {
        r.errors.push_back(where + " stored unit " + id + " at " + e.value("record", "") + ", the plan says " +
                           (*planned[id])["record"].get<std::string>());
        continue;
      }
      by_unit[id].push_back({s.dir, index, e, fs::exists(s.dir + "/" + e.value("record", ""))});
    }
    // A record the shard's run.json does not list would be dropped: say so.
    std::error_code ec;
    for (const auto& f : fs::recursive_directory_iterator(s.dir + "/jobs", ec))
      if (f.path().extension() == ".json" && !known_records.contains(fs::relative(f.path(), s.dir).string()))
        r.errors.push_back(where + " holds record " + fs::relative(f.path(), s.dir).string() +
                           " that no unit of it names");
    for (auto f : s.run.value("failures", nlohmann::json::array())) {
      f["shard"] = index;
      f["vm_dir"] = "shards/" + fs::path(s.dir).filename().string() + "/" + f.value("vm_dir", "");
      failures.push_back(f);
    }
    any_failed |= s.run.value("status", "") != "ok";
    wall_max = std::max(wall_max, s.run.value("wall_s", 0.0));
    wall_sum += s.run.value("wall_s", 0.0);
    shard_facts.push_back({{"index", index},
                           {"dir", s.dir},
                           {"status", s.run.value("status", "")},
                           {"wall_s", s.run.value("wall_s", 0.0)},
                           {"machine", s.run.value("machine", nlohmann::json())},
                           {"resumed", s.run.value("resumed", nlohmann::json::array()).size()}});
  }

  nlohmann::json units = nlohmann::json::array();
  std::vector<std::string> missing_ids, identical;
  for (const auto& u : plan.at("units")) {
    const std::string id = u.at("unit_id");
    const std::vector<Found>& found = by_unit[id];
    std::vector<const Found*> with_record;
    for (const auto& f : found)
      if (f.has_record) with_record.push_back(&f);
    const std::string record = u.at("record");
    for (size_t i = 1; i < with_record.size(); ++i) {
      const std::string a = with_record[0]->dir + "/" + record, b = with_record[i]->dir + "/" + record;
      if (file_bytes(a) == file_bytes(b))
        identical.push_back(id);
      else
        r.errors.push_back("unit " + id + " has two different records: " + a + " and " + b);
    }
    nlohmann::json entry;
    if (!with_record.empty()) {
      const Found& f = *with_record[0];
      entry = f.entry;
      nlohmann::json rec = read_json_file(f.dir + "/" + record);
      if (rec.is_discarded())
        r.errors.push_back("record " + f.dir + "/" + record + " is not valid JSON");
      else {
        std::string sha = rec.value("kernel", nlohmann::json::object()).value("image_sha256", "");
        if (sha != kernel_sha[u.at("kernel")])
          r.errors.push_back(fmt::format("record {}/{} was measured on kernel image {}, the plan's is {}", f.dir,
                                         record, sha.substr(0, 12), kernel_sha[u.at("kernel")].substr(0, 12)));
        // A shard run again lists its earlier units as "kept": the record says how they ended.
        if (entry.value("status", "") == "kept") {
          std::string ended = rec.value("status", "failed");
          entry["status"] = ended == "ok" || ended == "skipped" ? ended : "failed";
          entry["kept"] = true;
        }
      }
      entry["shard"] = f.shard;
      entry["vm_dir"] = "shards/" + fs::path(f.dir).filename().string() + "/" + f.entry.value("vm_dir", "");
      r.records.emplace_back(f.dir + "/" + record, record);
    } else {
      std::string why;
      if (found.empty()) {
        why = fmt::format("shard {} is not among the merged shard results", u.value("shard", -1));
        entry = {{"unit_id", id}, {"kernel", u.at("kernel")}, {"record", record}, {"shard", u.value("shard", -1)}};
      } else {
        entry = found[0].entry;
        entry["shard"] = found[0].shard;
        entry["vm_dir"] =
            "shards/" + fs::path(found[0].dir).filename().string() + "/" + found[0].entry.value("vm_dir", "");
        why = fmt::format(
            "shard {}: {}{}", found[0].shard, found[0].entry.value("status", "?"),
            found[0].entry.value("reason", "").empty() ? "" : " (" + found[0].entry.value("reason", "") + ")");
      }
      entry["status_in_shard"] = entry.value("status", "");
      entry["status"] = "missing";
      entry["reason"] = why;
      missing_ids.push_back(id);
      r.missing.push_back(id + ": " + why);
    }
    units.push_back(entry);
  }
  if (!identical.empty())
    r.notes.push_back(fmt::format("{} units have identical records in two shard results (kept once): {}",
                                  identical.size(), join(identical, ", ", 5)));

  nlohmann::json machine =
      shards.empty() ? nlohmann::json::object() : shards[0].run.value("machine", nlohmann::json::object());
  r.run = new_run_json({plan_id, plan.value("suite", ""), plan.at("suite_effective"), plan.at("kernels"), machine});
  r.run.update({{"parallel", plan.at("shards").size()},
                {"status", !missing_ids.empty() ? "incomplete"
                           : any_failed         ? "failed"
                                                : "ok"},
                {"wall_s", wall_max},
                {"units", units},
                {"failures", failures},
                {"merged",
                 {{"plan_id", plan_id},
                  {"plan_sha256", plan_sha256},
                  {"at", make_run_id("merge")},
                  {"shards", shard_facts},
                  {"shards_planned", plan.at("shards").size()},
                  {"units_planned", plan.at("units").size()},
                  {"units_merged", plan.at("units").size() - missing_ids.size()},
                  {"missing", missing_ids},
                  {"wall_s_sum", wall_sum}}}});
  return r;
}

}  // namespace kreg
