#include "console/html.hpp"

#include "console/assets.hpp"

namespace choreo::admin::console {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    out += (out.empty() ? "?" : "&") + UrlEncode(name) + "=" + UrlEncode(value);
  }
  return out;
}

std::string Page(std::string_view title, std::string_view body) {
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  page += Escape(title);
  page += " - choreo console</title>\n<style>\n";
  page += Asset("console.css");
  page +=
      "</style>\n<script src=\"/console.js\" defer></script>\n</head>\n<body>\n<nav>\n"
      "<a class=\"brand\" href=\"/\">choreo console</a>\n<a href=\"/\">Dead letters</a>\n"
      "<a href=\"/outbox\">Outbox</a>\n<a href=\"/workers\">Workers</a>\n"
      "<form class=\"search\" method=\"get\" action=\"/orders\">"
      "<input type=\"search\" name=\"id\" placeholder=\"order id\" aria-label=\"order id\" required>"
      "<button type=\"submit\">Find order</button></form>\n</nav>\n<main>\n<h1>";
  page += Escape(title);
  page += "</h1>\n";
  page += body;
  page += "\n</main>\n</body>\n</html>\n";
  return page;
}

std::string Link(std::string_view href, std::string_view text) {
  return "<a href=\"" + Escape(href) + "\">" + Escape(text) + "</a>";
}

std::string Table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
  std::string out = "<table>\n<thead><tr>";
  for (const std::string& h : headers) out += "<th>" + Escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const std::string& cell : row) out += "<td>" + cell + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  return out;
}

std::string Number(std::size_t n) { return "<span class=\"num\">" + std::to_string(n) + "</span>"; }

std::string Paragraph(std::string_view text, std::string_view kind) {
  return "<p class=\"" + Escape(kind) + "\">" + Escape(text) + "</p>\n";
}

}  // namespace choreo::admin::console
