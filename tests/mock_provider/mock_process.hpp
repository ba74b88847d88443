// tests/mock_provider/mock_process.hpp
// MockProcess: runs the mock-provider executable as a child process for the
// lifetime of the object, for end-to-end tests and benchmarks that want the
// mock outside their own process. Link the test against the CMake target
// agenthost_mock_process, which defines AGENTHOST_MOCK_PROVIDER (the
// executable's path), and write
//   agenthost::testing::MockProcess mock(AGENTHOST_MOCK_PROVIDER, {"--latency-ms", "200"});
//   ... point the host at mock.base_url() ...
// The destructor sends SIGTERM and reaps the child.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace agenthost::testing {

class MockProcess {
 public:
  static constexpr std::chrono::seconds kStartTimeout{10};

  //! Starts `executable` with `args` and waits until it prints its port.
  //! Throws std::runtime_error when it cannot start, exits, or stays silent
  //! for kStartTimeout; the child is gone by then.
  MockProcess(std::string executable, std::vector<std::string> args) : executable_(std::move(executable)) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) fail("pipe2", errno);
    stdout_fd_ = pipe_fds[0];
    const int child_stdout = pipe_fds[1];

    std::vector<std::string> argv_storage;
    argv_storage.reserve(args.size() + 1);
    argv_storage.push_back(executable_);
    for (std::string& arg : args) argv_storage.push_back(std::move(arg));
    std::vector<char*> argv;
    for (std::string& arg : argv_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, child_stdout, STDOUT_FILENO);  // dup2 clears O_CLOEXEC.
    // The child starts with no blocked signals and default SIGTERM/SIGINT
    // handling whatever the test runner set, so that stop() can always end it.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t signals;
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&attributes, &signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    posix_spawnattr_setsigdefault(&attributes, &signals);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const int spawn_error = posix_spawn(&pid_, executable_.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    ::close(child_stdout);
    if (spawn_error != 0) {
      pid_ = -1;
      ::close(stdout_fd_);
      fail("posix_spawn", spawn_error);
    }
    try {
      port_ = read_port();
    } catch (...) {
      stop();
      throw;
    }
  }

  ~MockProcess() { stop(); }

  MockProcess(const MockProcess&) = delete;
  MockProcess& operator=(const MockProcess&) = delete;

  unsigned short port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  //! Sends SIGTERM, waits for the child and returns its waitpid() status
  //! (WIFEXITED/WEXITSTATUS apply); the destructor then has nothing left to do.
  int terminate() { return stop(); }

 private:
  [[noreturn]] void fail(std::string_view what, int error) const {
    throw std::runtime_error("MockProcess: " + std::string(what) + " failed for " + executable_ + ": " +
                             std::strerror(error));
  }

  unsigned short read_port() {
    static constexpr std::string_view prefix = "listening on http://127.0.0.1:";
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    std::string output;
    while (output.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        throw std::runtime_error("MockProcess: " + executable_ + " did not print its port within " +
                                 std::to_string(kStartTimeout.count()) + " s (output so far: \"" + output + "\")");
      }
      pollfd readable{stdout_fd_, POLLIN, 0};
      const int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) fail("poll", errno);
      if (ready <= 0) continue;
      char chunk[256];
      const ssize_t got = ::read(stdout_fd_, chunk, sizeof chunk);
      if (got < 0 && errno != EINTR) fail("read", errno);
      if (got == 0) {
        const int status = stop();
        throw std::runtime_error("MockProcess: " + executable_ + " exited before printing its port (" +
                                 describe(status) + "; output: \"" + output + "\")");
      }
      if (got > 0) output.append(chunk, static_cast<std::size_t>(got));
    }
    const std::string line = output.substr(0, output.find('\n'));
    if (line.rfind(prefix, 0) != 0) {
      throw std::runtime_error("MockProcess: " + executable_ + " printed \"" + line + "\", expected \"" +
                               std::string(prefix) + "PORT\"");
    }
    const int port = std::stoi(line.substr(prefix.size()));
    if (port <= 0 || port > 65535) throw std::runtime_error("MockProcess: bad port in \"" + line + "\"");
    return static_cast<unsigned short>(port);
  }

  static std::string describe(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "wait status " + std::to_string(status);
  }

  // Sends SIGTERM unless the child already exited, and reaps it. Idempotent.
  int stop() {
    int status = 0;
    if (pid_ > 0) {
      if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGTERM);
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
      }
      pid_ = -1;
      status_ = status;
    }
    if (stdout_fd_ >= 0) {
      ::close(stdout_fd_);
      stdout_fd_ = -1;
    }
    return status_;
  }

  std::string executable_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int status_ = 0;
  unsigned short port_ = 0;
};

}  // namespace agenthost::testing
