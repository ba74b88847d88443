// cli_background.hpp: the built agenthost binary started in the background,
// for tests that act on it while it runs (send it a signal, watch its output
// file). Its stdout and stderr go to files, which the test reads at any time.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace agenthost::test {

inline std::string read_whole_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

//! Polls `ready` until it holds or `timeout` passes; returns whether it held.
//! For conditions only the file system shows (a line written, a message
//! printed); the short pause bounds the cost of asking, not the outcome.
inline bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ready()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

//! AGENTHOST_CLI with `args`, running. As run_cli does, it drops
//! AGENTHOST_PLUGIN_PATH from the environment. SIGINT and SIGTERM start with
//! their default disposition and unblocked, whatever the test runner did.
//! The destructor kills the process if the test did not wait for it.
class BackgroundCli {
public:
    BackgroundCli(const std::vector<std::string>& args, std::filesystem::path out_file,
                  std::filesystem::path err_file)
        : out_file_(std::move(out_file)), err_file_(std::move(err_file)) {
        std::vector<std::string> argv_storage{AGENTHOST_CLI};
        argv_storage.insert(argv_storage.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (std::string& a : argv_storage) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<char*> envp;
        for (char** e = environ; *e != nullptr; ++e) {
            if (std::string_view(*e).starts_with("AGENTHOST_PLUGIN_PATH=")) continue;
            envp.push_back(*e);
        }
        envp.push_back(nullptr);

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t defaults;
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGINT);
        sigaddset(&defaults, SIGTERM);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
        const int spawned = posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), envp.data());
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&actions);
        if (spawned != 0) throw std::runtime_error(std::string("posix_spawn ") + AGENTHOST_CLI + ": " + std::strerror(spawned));
    }

    ~BackgroundCli() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait();
        }
    }
    BackgroundCli(const BackgroundCli&) = delete;
    BackgroundCli& operator=(const BackgroundCli&) = delete;

    void signal(int sig) const {
        if (pid_ > 0) ::kill(pid_, sig);
    }

    //! Waits for the exit; the exit status, or 128 + the signal that killed it.
    int wait() {
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    std::string out() const { return read_whole_file(out_file_); }
    std::string err() const { return read_whole_file(err_file_); }

private:
    std::filesystem::path out_file_;
    std::filesystem::path err_file_;
    pid_t pid_ = -1;
};

}  // namespace agenthost::test
