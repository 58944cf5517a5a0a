#include "choreo/text/table.hpp"

#include <algorithm>
#include <ostream>

namespace choreo::text {

std::string Pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, const std::set<std::size_t>& right_aligned) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const bool last = c + 1 == cells.size();
      std::string cell = cells[c];
      if (right_aligned.count(c)) {
        cell = std::string(widths[c] - std::min(widths[c], cell.size()), ' ') + cell;
      } else if (!last) {
        cell = Pad(cell, widths[c]);
      }
      text += cell;
      if (!last) text += "  ";
    }
    out << text << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
}

}  // namespace choreo::text
