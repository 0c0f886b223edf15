// function_graph output -> calls and time per kernel function.
#include <gtest/gtest.h>

#include "bench/kernel_trace.hpp"

namespace kreg {
namespace {

TEST(KernelTrace, CountsLeafCallsAndTailedReturns) {
  const std::string trace =
      "# tracer: function_graph\n"
      "#\n"
      "# CPU  DURATION                  FUNCTION CALLS\n"
      "# |     |   |                     |   |   |   |\n"
      " 0)               |  __d_lookup() {\n"
      " 0)   0.500 us    |    proc_sys_compare();\n"
      " 0)   1.500 us    |    proc_sys_compare();\n"
      " 0) + 12.250 us   |  } /* __d_lookup */\n"
      " 1)   2.000 us    |  __d_lookup_rcu();\n"
      " 1) ! 250.000 us  |  memcg_numa_stat_show();\n";
  nlohmann::json f = parse_function_graph(trace);
  ASSERT_EQ(f["proc_sys_compare"]["calls"], 2);
  EXPECT_DOUBLE_EQ(f["proc_sys_compare"]["total_us"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(f["proc_sys_compare"]["mean_us"].get<double>(), 1.0);
  EXPECT_EQ(f["__d_lookup"]["calls"], 1);
  EXPECT_DOUBLE_EQ(f["__d_lookup"]["mean_us"].get<double>(), 12.25);
  EXPECT_EQ(f["__d_lookup_rcu"]["calls"], 1);
  EXPECT_DOUBLE_EQ(f["memcg_numa_stat_show"]["total_us"].get<double>(), 250.0);
  EXPECT_EQ(f.size(), 4u);
}

TEST(KernelTrace, EmptyTraceHasNoFunctions) { EXPECT_TRUE(parse_function_graph("# tracer: nop\n").empty()); }

}  // namespace
}  // namespace kreg
