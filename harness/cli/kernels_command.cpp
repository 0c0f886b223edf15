#include "harness/cli/kernels_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <tuple>

#include "harness/cli/kernel_boot_bench.hpp"
#include "harness/cli/kernel_build_bench.hpp"
#include "harness/cli/kernel_cache_view.hpp"
#include "harness/term/text_table.hpp"
#include "vm/common/error.hpp"
#include "vm/kernels/kernel_features.hpp"
#include "vm/kernels/kernel_fetch.hpp"
#include "vm/kernels/source_kernel.hpp"

namespace kreg {

namespace {

namespace fs = std::filesystem;

nlohmann::json kernel_json(const CachedKernel& c) {
  return {{"sha256", c.key},
          {"dir", c.dir},
          {"kernel", c.record},
          {"version", c.version ? nlohmann::json(c.version->text()) : nlohmann::json()},
          {"features", features_json(c.features)},
          {"guest_features", c.guest_features}};
}

std::string yes_no(const CachedKernel& c, const char* name) { return feature(c.features, name).available ? "y" : "n"; }

// kernel.json as "key  value" lines; objects one line per member.
void print_record(const nlohmann::json& record) {
  size_t width = 0;
  for (const auto& [key, value] : record.items()) width = std::max(width, key.size());
  for (const auto& [key, value] : record.items()) {
    if (value.is_object()) {
      bool first = true;
      for (const auto& [member, v] : value.items()) {
        std::printf("  %-*s  %s: %s\n", int(width), first ? key.c_str() : "", member.c_str(),
                    v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
        first = false;
      }
      if (first) std::printf("  %-*s  -\n", int(width), key.c_str());
      continue;
    }
    std::string text;
    if (value.is_string())
      text = value.get<std::string>();
    else if (value.is_array())
      for (const auto& v : value)
        text += (text.empty() ? "" : ", ") + (v.is_string() ? v.get<std::string>() : v.dump());
    else
      text = value.dump();
    std::printf("  %-*s  %s\n", int(width), key.c_str(), text.empty() ? "-" : text.c_str());
  }
}

void print_features(const CachedKernel& c) {
  std::printf("features (static: from the config and the mainline version %s)\n",
              c.version ? c.version->text().c_str() : "unknown");
  size_t width = 0;
  for (const auto& f : c.features) width = std::max(width, f.name.size());
  for (const auto& f : c.features)
    std::printf("  %-*s  %-3s  %-7s  %s\n", int(width), f.name.c_str(), f.available ? "yes" : "no", f.source.c_str(),
                f.evidence.c_str());
  std::printf("guest features (runtime probe by the guest agent: %s)\n",
              c.dir.empty() ? "none for a bare bzImage" : (c.dir + "/guest_features.json").c_str());
  if (c.guest_features.is_null()) {
    std::printf("  none yet (written after a VM run on this kernel)\n");
  } else if (c.guest_features.is_object()) {
    for (const auto& [key, value] : c.guest_features.items())
      std::printf("  %s: %s\n", key.c_str(),
                  value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
  } else {
    std::printf("  %s\n", c.guest_features.dump().c_str());
  }
}

// The source a kernel came from; a build's patches after it.
std::string source_column(const KernelImage& k) {
  std::string out = k.source;
  if (k.build.is_object())
    for (const auto& p : k.build.value("patches", nlohmann::json::array()))
      out += " + " + fs::path(p.value("path", "")).filename().string();
  return out;
}

// A source build's inputs and what kreg did to build it.
void print_build(const nlohmann::json& b) {
  std::printf("  built    %s from %s (%s)\n", b.value("version", "").c_str(), b.value("source", "").c_str(),
              b.value("source_id", "").c_str());
  for (const auto& p : b.value("patches", nlohmann::json::array()))
    std::printf("  patch    %s (sha256 %s)\n", p.value("path", "").c_str(),
                p.value("sha256", "").substr(0, 12).c_str());
  const auto base = b.value("base_config", nlohmann::json::object());
  std::printf("  config   %s + kreg's fragment -> sha256 %s\n",
              base.contains("path") ? base.value("path", "").c_str() : base.value("name", "").c_str(),
              b.value("config_sha256", "").substr(0, 12).c_str());
  for (const auto& w : b.value("config_warnings", nlohmann::json::array()))
    std::printf("  warning  %s\n", w.get<std::string>().c_str());
  for (const auto& f : b.value("fixes", nlohmann::json::array()))
    std::printf("  fix      %s: %s (%s)\n", f.value("id", "").c_str(), f.value("what", "").c_str(),
                f.value("why", "").c_str());
  std::printf("  build    %.0f s, %d files compiled%s, %s\n", b.value("build_wall_s", 0.0),
              b.value("files_compiled", 0), b.value("incremental", false) ? " (incremental)" : "",
              b.value("toolchain", nlohmann::json::object()).value("cc", "").c_str());
}

int list(const std::string& cache_dir, bool json) {
  std::vector<CachedKernel> kernels = cached_kernels(cache_dir);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : kernels) out.push_back(kernel_json(c));
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  if (kernels.empty()) {
    std::printf("no kernels cached in %s/kernels (fetch one: kreg kernels fetch debian:bookworm)\n", cache_dir.c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"RELEASE", "PACKAGE", "VERSION", "SOURCE", "SHA256", "MEMCG_V1", "KPROBES"}};
  for (const auto& c : kernels)
    rows.push_back({c.image.release, c.image.package.empty() && c.image.build.is_object() ? "(built)" : c.image.package,
                    c.image.package_version.empty() && c.image.build.is_object() ? c.image.build.value("version", "")
                                                                                 : c.image.package_version,
                    source_column(c.image), c.key.substr(0, 12), yes_no(c, "memcg_v1"), yes_no(c, "kprobe_events")});
  std::printf("%s", format_columns(rows).c_str());
  return 0;
}

// The specs as kernels: --patch and --config go to every source kernel.
std::vector<KernelSpec> fetch_specs(const KernelsOptions& o) {
  std::vector<KernelSpec> out;
  // No spec: the default kernel (newest Debian 6.1 cloud), as `kreg run` uses it.
  for (const std::string& spec : o.specs.empty() ? std::vector<std::string>{""} : o.specs) {
    KernelSpec k(spec);
    if (k.is_source()) {
      for (const auto& p : o.patches) k.patches.push_back(fs::absolute(p).lexically_normal().string());
      if (!o.config.empty()) k.config = fs::absolute(o.config).lexically_normal().string();
    }
    out.push_back(k);
  }
  if ((!o.patches.empty() || !o.config.empty()) &&
      std::none_of(out.begin(), out.end(), [](const KernelSpec& k) { return k.is_source(); }))
    throw KregError("--patch and --config apply to kernels built from source; give a src:PATH or debian-source: spec");
  for (const auto& k : out) check_kernel_spec(k);  // every kernel's bad input before any download or build
  return out;
}

int fetch(const std::vector<KernelSpec>& specs, const std::string& cache_dir, bool json) {
  nlohmann::json out = nlohmann::json::array();
  for (const KernelSpec& spec : specs) {
    std::fprintf(stderr, "kreg: fetching %s\n",
                 spec.spec.empty() ? "the default kernel (newest Debian 6.1 cloud)" : spec.describe().c_str());
    KernelImage k = obtain_kernel(spec, cache_dir);
    CachedKernel c = describe_obtained(k, cache_dir);
    if (json) {
      out.push_back(kernel_json(c));
      continue;
    }
    std::printf("%s  %s %s  (cache %s)\n", k.release.empty() ? "(bare image)" : k.release.c_str(), k.package.c_str(),
                k.package_version.c_str(), c.dir.empty() ? "-" : c.dir.c_str());
    std::printf("  source   %s\n", k.source.c_str());
    if (k.build.is_object()) print_build(k.build);
    for (const char* what : {"vmlinuz", "config", "modules"})
      if (auto it = k.files.find(what); it != k.files.end()) std::printf("  %-7s  <- %s\n", what, it->second.c_str());
    if (k.files.empty())  // cached before kernel.json recorded package members, or a bare bzImage
      for (auto [what, path] :
           {std::pair{"vmlinuz", &k.vmlinuz}, {"config", &k.config_path}, {"modules", &k.modules_dir}})
        if (!path->empty()) std::printf("  %-7s  %s\n", what, path->c_str());
    std::printf("  memcg_v1 %s, kprobes %s, function_graph %s, virtio_blk %s\n", yes_no(c, "memcg_v1").c_str(),
                yes_no(c, "kprobe_events").c_str(), yes_no(c, "function_graph_tracer").c_str(),
                yes_no(c, "virtio_blk").c_str());
  }
  if (json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

int show(const std::vector<std::string>& specs, const std::string& cache_dir, bool json) {
  if (specs.empty())
    throw KregError(
        "kreg kernels show needs a kernel: a release, sha256 prefix or source spec from 'kreg kernels list'");
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < specs.size(); ++i) {
    CachedKernel c = resolve_cached_kernel(specs[i], cache_dir);
    if (json) {
      out.push_back(kernel_json(c));
      continue;
    }
    if (i > 0) std::printf("\n");
    std::printf("kernel %s (%s)\n", c.image.release.empty() ? c.image.vmlinuz.c_str() : c.image.release.c_str(),
                c.dir.empty() ? "not cached: a bare bzImage" : c.dir.c_str());
    print_record(c.record);
    print_features(c);
  }
  if (json) std::printf("%s\n", (specs.size() == 1 ? out[0] : out).dump(2).c_str());
  return 0;
}

}  // namespace

int kernels_command(const KernelsOptions& options) {
  const std::string cache_dir = resolve_cache_dir(options.cache_dir);
  if (options.action == "list") {
    if (!options.specs.empty())
      throw KregError("kreg kernels list takes no kernel (got '" + options.specs[0] + "'); use kreg kernels show " +
                      options.specs[0]);
    return list(cache_dir, options.json);
  }
  if (options.action != "fetch" && options.action != "bench" && (!options.patches.empty() || !options.config.empty()))
    throw KregError("--patch and --config belong to kreg kernels fetch and bench");
  if (options.action == "fetch") return fetch(fetch_specs(options), cache_dir, options.json);
  if (options.action == "bench") return kernel_build_bench(options, cache_dir);
  if (options.action == "boot") return kernel_boot_bench(options, cache_dir);
  if (options.action == "show") return show(options.specs, cache_dir, options.json);
  throw KregError("unknown kernels action '" + options.action + "' (known: list, fetch, show, bench, boot)");
}

}  // namespace kreg
