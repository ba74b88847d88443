// tests/mock_provider/mock_provider_main.cpp
// mock-provider: the mock LLM provider as its own process, for end-to-end tests
// and benchmarks. Prints "listening on http://127.0.0.1:PORT" once it accepts
// connections and serves until SIGTERM or SIGINT, then exits 0.
#include "mock_provider/mock_provider.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/parse.hpp>

#include <sys/resource.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using agenthost::testing::MockOptions;
using agenthost::testing::MockProvider;

constexpr int kUsageExit = 2;

constexpr std::string_view kUsage =
    "usage: mock-provider [--port N] [--latency-ms N] [--threads N] [--rules FILE.json]\n"
    "                     [--default-content TEXT] [--expected-key KEY] [--port-file PATH]\n"
    "Serves the OpenAI Chat Completions and Anthropic Messages APIs on 127.0.0.1\n"
    "(port 0, the default, picks a free one) until SIGTERM or SIGINT.\n";

const std::set<std::string_view, std::less<>> kFlags = {
    "--port", "--latency-ms", "--threads", "--rules", "--default-content", "--expected-key", "--port-file"};

// A command-line mistake: main prints it with the usage and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename Number>
Number parse_number(std::string_view flag, std::string_view text, Number max) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) {
    throw UsageError(std::string(flag) + ": not a number from 0 to " + std::to_string(max) + ": \"" +
                     std::string(text) + "\"");
  }
  return value;
}

boost::json::array read_rules(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw UsageError("--rules " + path + ": cannot open the file");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  boost::system::error_code error;
  boost::json::value rules = boost::json::parse(text, error);
  if (error) throw UsageError("--rules " + path + ": not valid JSON: " + error.message());
  if (!rules.is_array()) throw UsageError("--rules " + path + ": must hold a JSON array of rules");
  return std::move(rules.get_array());
}

struct Command {
  MockOptions options;
  std::string rules_file;
  std::string port_file;
  bool help = false;
};

Command parse_command(std::span<char*> args) {
  Command command;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      command.help = true;
      return command;
    }
    if (!kFlags.contains(flag)) throw UsageError("unknown flag: " + std::string(flag));
    if (i + 1 >= args.size()) throw UsageError(std::string(flag) + " needs a value");
    const std::string_view value = args[++i];
    if (flag == "--port") {
      command.options.port = parse_number<unsigned short>(flag, value, 65535);
    } else if (flag == "--latency-ms") {
      command.options.latency = std::chrono::milliseconds(parse_number<long>(flag, value, 86'400'000));
    } else if (flag == "--threads") {
      command.options.threads = parse_number<std::size_t>(flag, value, 256);
    } else if (flag == "--rules") {
      command.rules_file = std::string(value);
      command.options.rules = read_rules(command.rules_file);
    } else if (flag == "--default-content") {
      command.options.default_content = std::string(value);
    } else if (flag == "--expected-key") {
      command.options.expected_key = std::string(value);
    } else if (flag == "--port-file") {
      command.port_file = std::string(value);
    }
  }
  return command;
}

// Thousands of concurrent connections need as many descriptors; the default
// soft limit is often 1024.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) std::perror("mock-provider: setrlimit(RLIMIT_NOFILE)");
  }
}

// Written beside the target and renamed, so a reader never sees a partial port.
void write_port_file(const std::string& path, unsigned short port) {
  const std::string partial = path + ".partial";
  {
    std::ofstream file(partial, std::ios::trunc);
    file << port << '\n';
    if (!file.flush()) throw std::runtime_error("--port-file " + path + ": cannot write " + partial);
  }
  std::filesystem::rename(partial, path);
}

}  // namespace

int main(int argc, char** argv) {
  Command command;
  try {
    command = parse_command(std::span<char*>(argv + 1, static_cast<std::size_t>(argc - 1)));
  } catch (const UsageError& error) {
    std::cerr << "mock-provider: " << error.what() << '\n' << kUsage;
    return kUsageExit;
  }
  if (command.help) {
    std::cout << kUsage;
    return 0;
  }
  try {
    raise_descriptor_limit();
    // Installed before the server starts, so that a SIGTERM sent as soon as the
    // port is printed is never handled by the default action.
    boost::asio::io_context signals_io;
    boost::asio::signal_set signals(signals_io, SIGTERM, SIGINT);
    signals.async_wait([](const boost::system::error_code&, int) {});

    MockProvider provider(std::move(command.options));
    if (!command.port_file.empty()) write_port_file(command.port_file, provider.port());
    std::cout << "listening on " << provider.base_url() << std::endl;
    signals_io.run();  // Returns once the signal has been handled.
    return 0;
  } catch (const std::invalid_argument& error) {  // Only the rules can be invalid here.
    std::cerr << "mock-provider: --rules " << command.rules_file << ": " << error.what() << '\n';
    return kUsageExit;
  } catch (const std::exception& error) {
    std::cerr << "mock-provider: " << error.what() << '\n';
    return 1;
  }
}
