// kreg compare's junit.xml: one test case per metric (failure = regression, skipped = not compared).
#include "harness/compare/compare_output.hpp"

#include <fmt/format.h>

#include <string>

#include "harness/compare/compare_cells.hpp"
#include "harness/findings/finding.hpp"

namespace kreg {

using namespace compare_detail;

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

}  // namespace

std::string render_compare_junit(const CompareResult& r) {
  int failures = r.count(Verdict::Regression), skipped = r.count(Verdict::NotCompared);
  std::string suite = "kreg compare " + r.baseline_spec + " -> " + r.new_spec;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"kreg compare\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">\n",
                     r.metrics.size(), failures, skipped);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\" time=\"0\">\n",
                     xml_escape(suite), r.metrics.size(), failures, skipped);
  out += "    <properties>\n";
  out += "      <property name=\"baseline\" value=\"" + xml_escape(r.baseline_desc) + "\"/>\n";
  out += "      <property name=\"new\" value=\"" + xml_escape(r.new_desc) + "\"/>\n";
  out += "      <property name=\"settings\" value=\"" + xml_escape(settings_line(r)) + "\"/>\n";
  for (const auto& note : r.notes) out += "      <property name=\"note\" value=\"" + xml_escape(note) + "\"/>\n";
  for (const auto& f : r.findings.items)
    out += "      <property name=\"finding\" value=\"" + xml_escape(f.sentence) + "\"/>\n";
  out += "    </properties>\n";
  for (const auto& m : r.metrics) {
    std::string classname = "kreg.compare." + (r.multi_kernel ? kernel_cell(m) + "." : std::string()) + job_cell(m);
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n", xml_escape(classname),
                       xml_escape(m.metric));
    std::string detail = m.verdict == Verdict::NotCompared ? "" : detail_text(m);
    if (m.verdict == Verdict::Regression)
      out += fmt::format("      <failure type=\"regression\" message=\"{}\">{}</failure>\n",
                         xml_escape("regression (" + m.reason + "): " + point_cell(m)), xml_escape(detail));
    else if (m.verdict == Verdict::NotCompared)
      out += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape("not compared: " + m.reason));
    if (m.verdict != Verdict::Regression && !detail.empty())
      out += "      <system-out>" + xml_escape(verdict_cell(m) + "\n" + detail) + "</system-out>\n";
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace kreg
