#include "yaml_subset.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace choreo::contracts {
namespace {

struct Line {
  std::size_t number;  // 1-based, for messages
  std::size_t indent;
  std::string content;  // without indentation and comment, right-trimmed
  std::string raw;
};

std::string RightTrim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

std::string StripComment(std::string_view s) {
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || s[i - 1] == ' ')) {
      return RightTrim(std::string(s.substr(0, i)));
    }
  }
  return RightTrim(std::string(s));
}

class Parser {
 public:
  explicit Parser(std::string_view text) {
    std::size_t number = 0;
    while (!text.empty()) {
      const auto end = text.find('\n');
      std::string raw(text.substr(0, end));
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
      ++number;
      if (raw.find('\t') != std::string::npos) Fail(number, "tabs are not supported");
      std::size_t indent = raw.find_first_not_of(' ');
      if (indent == std::string::npos) indent = raw.size();
      lines_.push_back({number, indent, StripComment(std::string_view(raw).substr(indent)), raw});
    }
  }

  nlohmann::json Document() {
    SkipBlank();
    if (pos_ == lines_.size()) return nullptr;
    auto value = Block(lines_[pos_].indent);
    SkipBlank();
    if (pos_ != lines_.size()) Fail(lines_[pos_].number, "unexpected indentation");
    return value;
  }

 private:
  [[noreturn]] static void Fail(std::size_t line, const std::string& what) {
    throw std::runtime_error("yaml line " + std::to_string(line) + ": " + what);
  }

  void SkipBlank() {
    while (pos_ < lines_.size() && lines_[pos_].content.empty()) ++pos_;
  }

  static bool IsSequenceItem(const std::string& content) {
    return content == "-" || content.starts_with("- ");
  }

  nlohmann::json Block(std::size_t indent) {
    SkipBlank();
    if (IsSequenceItem(lines_[pos_].content)) return Sequence(indent);
    return Mapping(indent);
  }

  // Position of the ':' that ends a mapping key, or npos.
  static std::size_t KeyEnd(const std::string& content) {
    char quote = 0;
    for (std::size_t i = 0; i < content.size(); ++i) {
      const char c = content[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (i == 0 && (c == '\'' || c == '"')) {
        quote = c;
      } else if (c == ':' && (i + 1 == content.size() || content[i + 1] == ' ')) {
        return i;
      }
    }
    return std::string::npos;
  }

  // The next non-blank line when it belongs to the block at `indent`, nullptr where that
  // block ends; a line indented deeper is an error.
  Line* NextAt(std::size_t indent) {
    SkipBlank();
    if (pos_ == lines_.size() || lines_[pos_].indent < indent) return nullptr;
    Line& line = lines_[pos_];
    if (line.indent > indent) Fail(line.number, "unexpected indentation");
    return &line;
  }

  nlohmann::json Mapping(std::size_t indent) {
    nlohmann::json object = nlohmann::json::object();
    while (Line* next = NextAt(indent)) {
      Line& line = *next;
      if (IsSequenceItem(line.content)) break;
      const std::size_t colon = KeyEnd(line.content);
      if (colon == std::string::npos) Fail(line.number, "expected 'key: value'");
      const std::string key = Scalar(Trim(std::string_view(line.content).substr(0, colon)), line.number);
      const std::string rest = Trim(std::string_view(line.content).substr(colon + 1));
      if (object.contains(key)) Fail(line.number, "duplicate key '" + key + "'");
      ++pos_;
      object[key] = Value(rest, indent, line.number);
    }
    return object;
  }

  nlohmann::json Sequence(std::size_t indent) {
    nlohmann::json array = nlohmann::json::array();
    while (Line* next = NextAt(indent)) {
      Line& line = *next;
      if (!IsSequenceItem(line.content)) break;
      const std::string rest = line.content == "-" ? std::string() : Trim(line.content.substr(2));
      if (rest.empty()) {
        ++pos_;
        array.push_back(Nested(indent, line.number));
      } else if (KeyEnd(rest) != std::string::npos && rest.front() != '[') {
        // "- key: value": a mapping whose first entry shares the dash's line. Re-read the
        // line as if the dash were a space.
        line.indent += 2;
        line.content = rest;
        array.push_back(Mapping(indent + 2));
      } else {
        ++pos_;
        array.push_back(ScalarValue(rest, line.number));
      }
    }
    return array;
  }

  // The value of a key whose text after the colon is `rest`.
  nlohmann::json Value(const std::string& rest, std::size_t indent, std::size_t number) {
    if (rest.empty()) {
      SkipBlank();
      // "key:\n- item" at the key's own indentation is a sequence value.
      if (pos_ < lines_.size() && lines_[pos_].indent == indent && IsSequenceItem(lines_[pos_].content)) {
        return Sequence(indent);
      }
      return Nested(indent, number);
    }
    if (rest[0] == '|' || rest[0] == '>') return BlockScalar(rest[0] == '>', indent);
    return ScalarValue(rest, number);
  }

  nlohmann::json Nested(std::size_t parent_indent, std::size_t) {
    SkipBlank();
    if (pos_ == lines_.size() || lines_[pos_].indent <= parent_indent) return nullptr;
    return Block(lines_[pos_].indent);
  }

  std::string BlockScalar(bool folded, std::size_t parent_indent) {
    std::vector<std::string> raw;
    std::size_t common = std::string::npos;
    while (pos_ < lines_.size()) {
      const Line& line = lines_[pos_];
      const bool blank = line.raw.find_first_not_of(' ') == std::string::npos;
      if (!blank && line.indent <= parent_indent) break;
      if (!blank) common = std::min(common, line.indent);
      raw.push_back(line.raw);
      ++pos_;
    }
    std::string out;
    for (const auto& text : raw) {
      const std::string content = text.size() > common ? RightTrim(text.substr(common)) : std::string();
      if (!out.empty()) out += folded && !content.empty() ? " " : "\n";
      out += content;
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out + "\n";
  }

  nlohmann::json ScalarValue(const std::string& text, std::size_t number) {
    if (text.front() == '{') Fail(number, "flow mappings are not supported");
    if (text.front() == '&' || text.front() == '*' || text.front() == '!') {
      Fail(number, "anchors, aliases and tags are not supported");
    }
    if (text.front() == '[') {
      if (text.back() != ']') Fail(number, "unterminated flow list");
      nlohmann::json array = nlohmann::json::array();
      const std::string inner = Trim(std::string_view(text).substr(1, text.size() - 2));
      std::size_t start = 0;
      while (!inner.empty() && start <= inner.size()) {
        const auto comma = inner.find(',', start);
        const std::string item = Trim(std::string_view(inner).substr(start, comma - start));
        if (item.empty() || item.front() == '[' || item.front() == '{') Fail(number, "flow lists hold scalars only");
        array.push_back(ScalarValue(item, number));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return array;
    }
    if (text.front() == '\'' || text.front() == '"') return Scalar(text, number);
    if (text == "true") return true;
    if (text == "false") return false;
    if (text == "null" || text == "~") return nullptr;
    const bool integer = text.find_first_not_of("0123456789") == std::string::npos ||
                         (text.size() > 1 && text[0] == '-' &&
                          text.find_first_not_of("0123456789", 1) == std::string::npos);
    if (integer && text.size() < 18) return std::stoll(text);
    return text;
  }

  // A key or a quoted scalar as a string.
  static std::string Scalar(const std::string& text, std::size_t number) {
    if (text.empty()) return text;
    const char quote = text.front();
    if (quote != '\'' && quote != '"') return text;
    if (text.size() < 2 || text.back() != quote) Fail(number, "unterminated quoted scalar");
    const std::string_view inner = std::string_view(text).substr(1, text.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < inner.size(); ++i) {
      if (quote == '\'' && inner[i] == '\'' && i + 1 < inner.size() && inner[i + 1] == '\'') {
        out += '\'';
        ++i;
      } else if (quote == '"' && inner[i] == '\\' && i + 1 < inner.size()) {
        const char next = inner[++i];
        out += next == 'n' ? '\n' : next == 't' ? '\t' : next;
      } else {
        out += inner[i];
      }
    }
    return out;
  }

  std::vector<Line> lines_;
  std::size_t pos_ = 0;
};

}  // namespace

nlohmann::json ParseYamlSubset(std::string_view text) { return Parser(text).Document(); }

std::string_view TestFile(std::string_view path) {
  for (const auto files : {EmbeddedTestFiles(), EmbeddedGeneratedTestFiles()}) {
    for (const auto& file : files) {
      if (file.path == path) return file.content;
    }
  }
  throw std::out_of_range("no embedded test file " + std::string(path));
}

}  // namespace choreo::contracts
