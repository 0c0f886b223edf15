#include "harness/findings/format.hpp"

#include <fmt/format.h>

#include <cmath>

namespace kreg::findings {

std::string fmt_ns(double ns) {
  if (!std::isfinite(ns)) return "-";
  double a = std::fabs(ns);
  if (a >= 1e9) return fmt::format("{:.3g} s", ns / 1e9);
  if (a >= 1e6) return fmt::format("{:.3g} ms", ns / 1e6);
  if (a >= 1e3) return fmt::format("{:.3g} us", ns / 1e3);
  return fmt::format("{:.3g} ns", ns);
}

std::string fmt_count(double count) {
  if (!std::isfinite(count)) return "-";
  if (std::fabs(count) < 10 && count != std::round(count)) return fmt::format("{:.2g}", count);
  double r = std::round(count);
  if (std::fabs(r) >= 1e3 && r != count) {  // three significant figures: a fitted count is not exact to the object
    double scale = std::pow(10, std::floor(std::log10(std::fabs(r))) - 2);
    r = std::round(r / scale) * scale;
  }
  std::string digits = fmt::format("{:.0f}", std::fabs(r));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (r < 0 ? "-" : "") + out;
}

std::string fmt_factor(double factor) {
  if (!std::isfinite(factor)) return "inf x";
  if (factor >= 100) return fmt_count(factor) + "x";
  if (factor >= 10) return fmt::format("{:.0f}x", factor);
  if (factor >= 2) return fmt::format("{:.1f}x", factor);
  return fmt::format("{:.2f}x", factor);
}

std::string fmt_p(double p) {
  if (!(p > 0)) return "p<1e-300";
  if (p < 1e-4) return fmt::format("p={:.0e}", p);
  return fmt::format("p={:.4f}", p);
}

std::string fmt_kib(double kib) { return fmt::format("{:.3g} KiB", kib); }

std::string fmt_bytes(double bytes) {
  double a = std::fabs(bytes);
  if (a >= 1024.0 * 1024 * 1024) return fmt::format("{:.3g} GiB", bytes / (1024.0 * 1024 * 1024));
  if (a >= 1024.0 * 1024) return fmt::format("{:.3g} MiB", bytes / (1024.0 * 1024));
  if (a >= 1024.0) return fmt::format("{:.3g} KiB", bytes / 1024.0);
  return fmt::format("{:.0f} bytes", bytes);
}

std::string fmt_ratio(double r) {
  if (std::fabs(r) >= 0.1) return fmt::format("{:.3f}", r);
  return fmt::format("{:.2g}", r);
}

std::string and_list(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

std::string slug(const std::string& text) {
  std::string out;
  bool in_run = false;
  for (char c : text) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '+' || c == '-';
    if (keep) {
      out += c;
      in_run = false;
    } else if (!in_run) {
      out += '-';
      in_run = true;
    }
  }
  size_t b = out.find_first_not_of('-'), e = out.find_last_not_of('-');
  return b == std::string::npos ? "" : out.substr(b, e - b + 1);
}

std::string latency_plot(const std::string& family, const std::string& metric) {
  return "latency__" + slug(family) + "__" + slug(metric) + ".png";
}

}  // namespace kreg::findings
