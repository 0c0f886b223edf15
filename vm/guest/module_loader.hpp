// Guest side of module loading: the agent (PID 1, static, no modprobe, no
// modules.dep) inserts the .ko files the host put in the initramfs, in the
// order the host computed (dependencies first).
#pragma once

#include <string>
#include <vector>

namespace kreg::guest {

// Loads every module listed in order_file (one guest path per line, e.g.
// /lib/modules/virtio.ko; blank lines and '#' comments ignored), in order.
// Uses finit_module, falling back to init_module on kernels without it.
// EEXIST counts as success (already loaded, or built in). Returns one line per
// module: "virtio: loaded", "virtio_blk: EEXIST (already present)" or
// "x: error: <strerror>". A failing module never throws: later modules and the
// job that needed them report the consequences. Throws std::runtime_error
// only when order_file itself cannot be read.
std::vector<std::string> load_modules(const std::string& order_file);

// Polls until `path` exists as a block device (devtmpfs creates /dev/vda
// asynchronously once virtio_blk has probed) or timeout_ms passes.
bool wait_for_block_device(const std::string& path, int timeout_ms);

}  // namespace kreg::guest
