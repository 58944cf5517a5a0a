// The curve as a PNG, drawn by gnuplot (Debian's gnuplot-nox, which infra/ installs): p50
// and p99 against the offered rate, the SLO as a line, the flow limit as a bar, saturated
// steps circled. The data and the script are kept beside the PNG to redraw it by hand.
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "report.hpp"

namespace choreo::bench {

namespace {

// Runs gnuplot on the script; "" on success, else its output.
std::string RunGnuplot(const std::string& script) {
  const std::string command = "gnuplot '" + script + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "cannot run gnuplot";
  std::string output;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  const int status = ::pclose(pipe);
  if (status == 0) return "";
  return output.empty() ? "gnuplot exited with status " + std::to_string(status) : output;
}

void WriteScript(const std::string& path, const std::string& terminal, const std::string& png, const std::string& data,
                 double slo_ms, double flow_limit) {
  std::ofstream gp(path);
  gp << "set terminal " << terminal << " size 960,600\n"
     << "set output '" << png << "'\n"
     << "set title 'choreo: submit-to-terminal latency through the gateway, open loop' noenhanced\n"
     << "set xlabel 'offered orders/s'\nset ylabel 'latency from scheduled send (ms)'\n"
     << "set logscale y\nset grid\nset key top left\n"
     << "set xrange [0:" << flow_limit * 1.05 << "]\n"
     << "set arrow from " << flow_limit << ", graph 0 to " << flow_limit << ", graph 1 nohead dashtype 3 lc rgb 'gray40'\n"
     << "set label 'flow limit' at " << flow_limit << ", graph 0.95 right offset -1,0\n"
     << "plot '" << data << "' using 1:2 with linespoints pt 7 title 'p50', \\\n"
     << "     '' using 1:3 with linespoints pt 5 title 'p99', \\\n"
     << "     '' using 1:($4 > 0 ? $3 : 1/0) with points pt 6 ps 3 lc rgb 'red' title 'saturated', \\\n"
     << "     " << slo_ms << " with lines dashtype 2 lc rgb 'red' title 'SLO p99 " << slo_ms << " ms'\n";
}

}  // namespace

std::string PlotCurve(const json& out, const std::string& png_path) {
  if (!out.contains("curve") || out["curve"].empty()) return "no curve";
  const std::filesystem::path png(png_path);
  const std::string data = std::filesystem::path(png).replace_extension(".dat").string();
  const std::string script = std::filesystem::path(png).replace_extension(".gp").string();
  std::vector<json> points(out["curve"].begin(), out["curve"].end());
  std::sort(points.begin(), points.end(), [](const json& a, const json& b) { return a["rate"] < b["rate"]; });
  {
    std::ofstream dat(data);
    dat << "# rate p50_ms p99_ms saturated achieved_per_s\n";
    // The y axis is logarithmic: keep every value above 0.
    for (const json& p : points) {
      dat << p["rate"].get<double>() << " " << std::max(0.1, p["p50_ms"].get<double>()) << " "
          << std::max(0.1, p["p99_ms"].get<double>()) << " " << (p["saturated"].get<bool>() ? 1 : 0) << " "
          << p["achieved_per_s"].get<double>() << "\n";
    }
  }
  const double slo = out.value("slo_p99_target_ms", 250.0);
  const double limit = std::max(out.value("curve_flow_limit_orders_per_s", 0.0), points.back()["rate"].get<double>());
  // pngcairo draws better; plain png (libgd) is the fallback of a gnuplot built without cairo.
  std::string failure;
  for (const char* terminal : {"pngcairo", "png"}) {
    WriteScript(script, terminal, png_path, data, slo, limit);
    failure = RunGnuplot(script);
    if (failure.empty()) return "";
  }
  return failure;
}

}  // namespace choreo::bench
