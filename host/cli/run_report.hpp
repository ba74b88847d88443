// run_report.hpp: how the commands that run workflows (run, resume) print a
// run's outcome: its output, the path it took, the question it waits on, or
// why it failed.
#pragma once

#include "command.hpp"

#include <agenthost/host.hpp>

#include <chrono>
#include <ostream>
#include <string>

namespace agenthost::cli {

//! "12.3 ms".
std::string millis(std::chrono::microseconds us);

//! The path a run took, one line per step (--explain).
void explain(std::ostream& out, const RunResult& result);

//! Prints `result` (JSON with --json, else the output or the question a
//! waiting run asks, and the path with --explain) and returns the exit code:
//! ok for a run that succeeded or waits, failure for one that failed.
//! `store` is the --store value to quote in the command that decides.
int report_run(const Invocation& inv, const RunResult& result, const std::string& store);

//! What Host::resume_unfinished did, on inv.err; nothing when it found nothing.
void report_resumed(const Invocation& inv, const ResumeReport& report);

}  // namespace agenthost::cli
