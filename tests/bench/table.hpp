#pragma once
// A Markdown table on stdout. Kept on its own so that a shared table printer can replace
// it without touching the report.
#include <string>
#include <vector>

namespace choreo::bench {

// `align`: one letter per column, 'l' or 'r' (missing letters: 'l').
void PrintMarkdownTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                        const std::string& align);

}  // namespace choreo::bench
