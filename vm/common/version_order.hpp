// Natural ordering of kernel versions and labels, numeric runs compared as
// numbers: 5.10 < 6.1 < 6.1.0-56 < 6.12.117+deb13 < 7.3. Kernel lists,
// packaged bisect ranges and the findings all sort with it.
#pragma once

#include <string>

namespace kreg {

bool version_less(const std::string& a, const std::string& b);

}  // namespace kreg
