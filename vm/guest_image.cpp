#include "vm/guest_image.hpp"

#include <unistd.h>

#include <filesystem>

#include "harness/error.hpp"
#include "vm/elf_closure.hpp"
#include "vm/initramfs.hpp"

namespace kreg {

namespace fs = std::filesystem;

GuestBinaries locate_guest_binaries() {
  // All executables are built into one directory (CMAKE_RUNTIME_OUTPUT_DIRECTORY).
  fs::path dir = fs::read_symlink("/proc/self/exe").parent_path();
  GuestBinaries b{(dir / "kreg-agent").string(), (dir / "kreg-statbench").string()};
  for (const auto& path : {b.agent, b.statbench})
    if (access(path.c_str(), X_OK) != 0)
      throw KregError("guest binary " + path + " is missing (build it: cmake --build build)");
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
