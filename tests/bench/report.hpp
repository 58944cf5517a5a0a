#pragma once
// What choreo-bench reports: every phase's figures into one JSON object (written to
// var/bench/latest.json), the ratios between them, the summary table, the curve's table
// and its PNG (plot.cpp).
#include <string>

#include "common.hpp"
#include "phases.hpp"

namespace choreo::bench {

json StartReport();
void RecordRaw(json& out, double hops_per_s);
void RecordWorker(json& out, const WorkerHopResult& r);
void RecordSaga(json& out, const SagaResult& r);
void RecordCluster(json& out, const SagaResult& r, const std::string& setup);
void RecordGateway(json& out, const GatewayResult& r);
void RecordFlow(json& out, const FlowResult& r);
void RecordClusterFlow(json& out, const FlowResult& r);
void RecordCurve(json& out, const CurveResult& r, double slo_p99_target_ms);
// Load average after, peak RSS over all processes, the ratios.
void FinishReport(json& out);

void PrintSummary(const json& out);
void PrintCurve(const json& out);

// latest.json at `path`; with a curve also the PNG next to it (same name, .png), whose
// path it prints. A missing gnuplot is reported, not fatal.
void WriteReport(json& out, const std::string& path);

// plot.cpp: renders out["curve"] with gnuplot into `png_path` (data and script beside it).
// Returns "" on success, else why not.
std::string PlotCurve(const json& out, const std::string& png_path);

}  // namespace choreo::bench
