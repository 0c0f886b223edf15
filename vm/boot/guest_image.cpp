#include "vm/boot/guest_image.hpp"

#include <unistd.h>

#include <filesystem>

#include "vm/boot/elf_closure.hpp"
#include "vm/boot/initramfs.hpp"
#include "vm/common/error.hpp"
#include "vm/common/source_dir.hpp"

namespace kreg {

namespace fs = std::filesystem;

GuestBinaries locate_guest_binaries() {
  // All executables are built into one directory (CMAKE_RUNTIME_OUTPUT_DIRECTORY).
  fs::path dir = fs::read_symlink("/proc/self/exe").parent_path();
  GuestBinaries b{(dir / "kreg-agent").string(),
                  (dir / "kreg-statbench").string(),
                  (dir / "kreg-memcg-spawner").string(),
                  (dir / "raw").string(),
                  "",
                  source_dir() + "/bench/memcg_poc.sh"};
  std::vector<std::string> required = {b.agent, b.statbench, b.spawner};
  for (const char* raw : kRawLoops) required.push_back(b.raw_dir + "/" + raw);
  for (const auto& path : required)
    if (access(path.c_str(), X_OK) != 0)
      throw KregError("guest binary " + path + " is missing (build it: cmake --build build)");
  // Debian's busybox-static: one static binary, so it needs no closure.
  for (const char* candidate : {"/bin/busybox", "/usr/bin/busybox"})
    if (b.busybox.empty() && access(candidate, X_OK) == 0 && elf_shared_closure(candidate).empty())
      b.busybox = candidate;
  return b;
}

void build_guest_image(const std::string& out_path, const GuestBinaries& binaries, const nlohmann::json& jobs,
                       const std::vector<KernelModule>& modules) {
  using Kind = InitramfsEntry::Kind;
  std::vector<InitramfsEntry> entries;
  for (const char* dir : {"proc", "sys", "dev", "tmp", "kreg/bin"})
    entries.push_back({Kind::Directory, dir, "", "", "", 0755});
  entries.push_back({Kind::File, "init", binaries.agent, "", "", 0755});
  entries.push_back({Kind::File, "kreg/bin/kreg-statbench", binaries.statbench, "", "", 0755});
  for (const ElfDependency& dep : elf_shared_closure(binaries.statbench))
    entries.push_back({Kind::File, dep.guest_path, dep.host_path, "", "", 0755});
  // Where GeneratorContext::memcg_spawner expects it.
  entries.push_back({Kind::File, "kreg/bin/kreg-memcg-spawner", binaries.spawner, "", "", 0755});
  for (const char* raw : kRawLoops)
    entries.push_back({Kind::File, std::string("kreg/bin/raw/") + raw, binaries.raw_dir + "/" + raw, "", "", 0755});
  entries.push_back({Kind::File, "kreg/bench/memcg_poc.sh", binaries.poc_script, "", "", 0644});
  if (!binaries.busybox.empty()) {
    entries.push_back({Kind::File, "kreg/bin/busybox", binaries.busybox, "", "", 0755});
    // The applets the proof of concept calls, on the PATH the agent gives it.
    for (const char* applet : {"sh", "mkdir", "rmdir", "echo"})
      entries.push_back({Kind::Symlink, std::string("kreg/busybox/") + applet, "", "", "/kreg/bin/busybox", 0777});
  }
  entries.push_back({Kind::File, "kreg/jobs.json", "", jobs.dump(2), "", 0644});
  std::string order;
  for (const KernelModule& m : modules) {
    entries.push_back({Kind::File, m.guest_path, "", module_bytes(m), "", 0644});
    order += "/" + m.guest_path + "\n";
  }
  if (!modules.empty()) entries.push_back({Kind::File, "kreg/modules.order", "", order, "", 0644});
  write_initramfs(out_path, entries);
}

}  // namespace kreg
