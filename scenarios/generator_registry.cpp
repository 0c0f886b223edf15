// The table of generators, in the spirit of kselftest's table of tests:
// name -> factory. Adding a generator is one line here.
#include <utility>

#include "scenarios/dentry_negative_generator.hpp"
#include "scenarios/generator.hpp"
#include "scenarios/memcg_generator.hpp"
#include "scenarios/netns_generator.hpp"
#include "scenarios/pause_loop_generator.hpp"

namespace kreg {

namespace {
using Factory = std::unique_ptr<Generator> (*)(const nlohmann::json&, const GeneratorContext&);
const std::pair<const char*, Factory> kGenerators[] = {
    {"memcg-churn", make_memcg_generator},
    {"netns", make_netns_generator},
    {"pause-loop", make_pause_loop_generator},
    {"dentry-negative", make_dentry_negative_generator},
};
}  // namespace

std::vector<std::string> generator_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : kGenerators) names.push_back(name);
  return names;
}

std::unique_ptr<Generator> make_generator(const std::string& name, const nlohmann::json& params,
                                          const GeneratorContext& context) {
  for (const auto& [known, factory] : kGenerators)
    if (name == known) return factory(params, context);
  std::string list;
  for (const auto& n : generator_names()) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown scenario '" + name + "' (known: " + list + ")");
}

}  // namespace kreg
