// What a task does inside a memcg before it leaves: write page cache and,
// optionally, create and stat files so dentries and inodes are charged too.
// Shared by the fork way (runs in the spawner's child) and the fast way (runs
// in the worker itself), so both ways do exactly the same kernel work.
#pragma once

#include <cstddef>

namespace kreg {

// `file` gets `bytes` of data; `kobjects` empty files are created in
// `kobject_dir` (made here) and stat'ed. Returns 0 or an errno.
int memcg_payload(const char* file, size_t bytes, const char* kobject_dir, int kobjects);

// Fills the data block memcg_payload writes. A forking parent calls it once
// before its first fork, as the raw loop does: otherwise every child would
// fault in and fill 64 KiB of its own before writing.
void memcg_payload_prepare();

}  // namespace kreg
