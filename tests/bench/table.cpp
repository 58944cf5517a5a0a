#include "table.hpp"

#include <cstdio>

namespace choreo::bench {

void PrintMarkdownTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                        const std::string& align) {
  std::string line = "|", rule = "|";
  for (std::size_t c = 0; c < header.size(); ++c) {
    line += " " + header[c] + " |";
    rule += c < align.size() && align[c] == 'r' ? "---:|" : "---|";
  }
  std::printf("%s\n%s\n", line.c_str(), rule.c_str());
  for (const auto& row : rows) {
    std::string cells = "|";
    for (std::size_t c = 0; c < header.size(); ++c) {
      cells += ' ';
      if (c < row.size()) cells += row[c];
      cells += " |";
    }
    std::printf("%s\n", cells.c_str());
  }
}

}  // namespace choreo::bench
