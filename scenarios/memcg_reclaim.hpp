// Reclaim of a memcg subtree's parent, mildest method first, each timed with
// the dying memcgs counted before and after: memory.reclaim (v2, 5.19+),
// memory.force_empty (v1), and drop_caches as the last resort (what the 4.19
// incident's operators did). Page cache on tmpfs cannot be reclaimed without
// swap, so its dying memcgs stay: use page_cache=ext4 to see reclaim free them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kreg {

// `mount`: the memory hierarchy's mount point; `parent`: the parent's
// directory; `mode`: "v1" or "v2". One entry per method, in order.
nlohmann::json reclaim_memcg_parent(const std::string& mount, const std::string& parent, const std::string& mode);

}  // namespace kreg
