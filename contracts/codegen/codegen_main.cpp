// choreo-contracts-codegen: writes the C++ headers of the event contracts from their JSON
// Schemas at build time (contracts/CMakeLists.txt runs it; event_codegen.hpp says what it
// reads from a schema).
//
// choreo-contracts-codegen --schemas DIR --common-schema FILE --out DIR --stamp FILE
//                          [--common] [--registry] <type>/v<major>.json...
// Headers go under OUT (choreo/contracts/...), rewritten only when their text changes so
// that a schema edit recompiles only what it affects; STAMP is touched on every run.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "event_codegen.hpp"

namespace {

using choreo::contracts::codegen::Generate;
using choreo::contracts::codegen::Options;
using choreo::contracts::codegen::SchemaInput;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::ordered_json ParseFile(const std::string& path) {
  try {
    return nlohmann::ordered_json::parse(ReadFile(path));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

void WriteIfChanged(const std::string& path, const std::string& content) {
  std::ifstream existing(path, std::ios::binary);
  if (existing) {
    std::ostringstream text;
    text << existing.rdbuf();
    if (text.str() == content) return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string schemas, common_schema, out, stamp;
    Options options;
    std::vector<std::string> paths;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--schemas") {
        schemas = value();
      } else if (arg == "--common-schema") {
        common_schema = value();
      } else if (arg == "--out") {
        out = value();
      } else if (arg == "--stamp") {
        stamp = value();
      } else if (arg == "--common") {
        options.common = true;
      } else if (arg == "--registry") {
        options.registry = true;
      } else if (arg.starts_with("--")) {
        throw std::runtime_error("unknown option " + arg);
      } else {
        paths.push_back(arg);
      }
    }
    if (schemas.empty() || common_schema.empty() || out.empty() || stamp.empty()) {
      throw std::runtime_error("--schemas, --common-schema, --out and --stamp are required");
    }
    std::vector<SchemaInput> inputs;
    for (const auto& path : paths) inputs.push_back({path, ParseFile(schemas + "/" + path)});
    for (const auto& file : Generate(ParseFile(common_schema), inputs, options)) {
      const std::string path = out + "/" + file.path;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path());
      WriteIfChanged(path, file.content);
    }
    std::ofstream(stamp, std::ios::trunc) << "done\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "choreo-contracts-codegen: " << e.what() << "\n";
    return 1;
  }
}
