// How numbers read in a finding: ASCII only, so a terminal, a JUnit file and a
// Markdown page show the same sentence.
#pragma once

#include <string>
#include <vector>

namespace kreg::findings {

std::string fmt_ns(double ns);          // "16.3 us", "1.21 ms", "850 ns"
std::string fmt_count(double count);    // "10,000", "2,600", "0.5"
std::string fmt_factor(double factor);  // "60x", "1.4x", "1.05x"
std::string fmt_p(double p);            // "p=3e-12", "p=0.004", "p<1e-300"
std::string fmt_kib(double kib);        // "20.2 KiB", "0.19 KiB"
std::string fmt_bytes(double bytes);    // "197 MiB", "20.2 KiB"
std::string fmt_ratio(double r);        // a fraction: "1.000", "0.0001"

// "a", "a and b", "a, b and c"
std::string and_list(const std::vector<std::string>& items);

// Python's slug in plots/families.py: runs of characters outside [A-Za-z0-9_.+-] become '-', then
// leading/trailing '-' go. The plot file names of the report depend on it.
std::string slug(const std::string& text);
std::string latency_plot(const std::string& family, const std::string& metric);

}  // namespace kreg::findings
