// A product embedding agenthost: create a Host, load a workflow config, run
// one ticket synchronously, then a batch of tickets at once through the
// asynchronous Host::start, and print each run's id, route and reply.
//
//   agenthost-embed-example CONFIG PLUGIN_DIR TICKET.json...
//   agenthost-embed-example config/support.json build/plugins examples/tickets/*.json
//
// Exit status: 0 when every run succeeded, 1 when one failed, 2 when the
// arguments, a ticket or the config could not be used.
#include <agenthost/host.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace {

namespace json = boost::json;

json::value read_ticket(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n') c = ' ';
    return text;
}

// Prints one run: its correlation id, the steps it took, and its reply or error.
bool report(std::string_view label, const std::filesystem::path& ticket, const agenthost::RunResult& result) {
    std::cout << '[' << label << "] run " << result.run_id << ' ' << ticket.filename().string() << ": "
              << (result.ok ? "ok" : "failed") << '\n';
    std::cout << "  route:";
    for (std::size_t i = 0; i < result.steps.size(); ++i)
        std::cout << (i == 0 ? " " : " -> ") << result.steps[i].step;
    std::cout << '\n';
    if (result.ok) {
        const json::value* text = result.output.is_object() ? result.output.as_object().if_contains("text") : nullptr;
        std::cout << "  reply: "
                  << (text != nullptr && text->is_string() ? one_line(std::string(text->as_string()))
                                                           : json::serialize(result.output))
                  << '\n';
    } else {
        const agenthost::RunError& e = *result.error;
        std::cout << "  error: " << e.code << " at step " << e.step << (e.agent.empty() ? "" : " (agent " + e.agent + ")")
                  << ": " << e.message << '\n';
    }
    return result.ok;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: " << argv[0] << " CONFIG PLUGIN_DIR TICKET.json...\n";
        return 2;
    }
    try {
        const std::filesystem::path config = argv[1];
        std::vector<std::filesystem::path> tickets(argv + 3, argv + argc);

        agenthost::HostOptions options;
        options.plugin_dirs = {argv[2]};
        agenthost::Host host(options);
        agenthost::LoadResult loaded = host.load(config);
        if (const auto* issues = std::get_if<agenthost::ConfigIssues>(&loaded)) {
            for (const agenthost::ConfigIssue& issue : *issues) std::cerr << issue.to_string() << '\n';
            return 2;
        }
        const auto workflow = std::get<std::shared_ptr<const agenthost::Workflow>>(loaded);
        std::cout << "loaded workflow " << workflow->name() << " from " << config.string() << '\n';

        // One ticket, synchronously: run() returns when the run has ended.
        bool all_ok = report("sync", tickets.front(), host.run(workflow, read_ticket(tickets.front())));

        // Every ticket at once: start() returns at once, each future holds one result.
        std::vector<std::future<agenthost::RunResult>> runs;
        for (const auto& ticket : tickets) runs.push_back(host.start(workflow, read_ticket(ticket)));
        std::cout << "started " << runs.size() << " runs\n";
        for (std::size_t i = 0; i < runs.size(); ++i) all_ok = report("batch", tickets[i], runs[i].get()) && all_ok;

        std::cout << (all_ok ? "all runs succeeded" : "some runs failed") << '\n';
        return all_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "agenthost-embed-example: " << e.what() << '\n';
        return 2;
    }
}
