// kreg's own config fragment (vm/source/kreg.config), compiled into the
// binary so a kreg installed anywhere builds kernels the same way.
#pragma once

#include <string>

namespace kreg {

const std::string& kreg_config_fragment();

}  // namespace kreg
