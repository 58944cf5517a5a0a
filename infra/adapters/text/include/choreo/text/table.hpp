#pragma once
// Plain-text tables for terminals:
//   choreo::text::PrintTable(std::cout, {"queue", "depth"}, {{"order.dlq", "3"}}, {1});
// prints
//   queue      depth
//   order.dlq      3
#include <cstddef>
#include <iosfwd>
#include <set>
#include <string>
#include <vector>

namespace choreo::text {

// `text` padded with spaces to `width` (never cut).
std::string Pad(const std::string& text, std::size_t width);

// The header, then every row, one line each: columns two spaces apart, as wide as their
// widest cell; the columns in `right_aligned` are right-aligned, the last column is not
// padded. A row may have fewer cells than the header.
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, const std::set<std::size_t>& right_aligned = {});

}  // namespace choreo::text
