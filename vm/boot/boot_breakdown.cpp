#include "vm/boot/boot_breakdown.hpp"

namespace kreg {

namespace {

double number(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : -1;
}

}  // namespace

nlohmann::json boot_breakdown(double boot_to_hello_s, const nlohmann::json& guest_boot) {
  nlohmann::json out = {{"to_hello_s", boot_to_hello_s}};
  if (!guest_boot.is_object()) return out;
  const nlohmann::json kernel = guest_boot.value("kernel", nlohmann::json::object());
  const nlohmann::json agent = guest_boot.value("agent", nlohmann::json::object());
  const double hello = number(agent, "hello"), start = number(agent, "agent_start");
  if (hello >= 0 && boot_to_hello_s > 0) out["before_kernel_s"] = boot_to_hello_s - hello;
  if (start >= 0) out["kernel_init_s"] = start;
  const double unpack_start = number(kernel, "initramfs_unpack_start"),
               unpack_end = number(kernel, "initramfs_unpack_end");
  if (unpack_start >= 0 && unpack_end >= unpack_start) out["initramfs_s"] = unpack_end - unpack_start;
  if (hello >= 0 && start >= 0) out["agent_s"] = hello - start;
  return out;
}

}  // namespace kreg
