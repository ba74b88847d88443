// cli_process.hpp: runs the built agenthost binary as an operator would, and
// captures what it printed and how it exited. posix_spawn and poll(): both
// pipes are drained together, so a chatty stderr cannot deadlock the test.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace agenthost::test {

struct CliOutcome {
    int exit_code = -1;  //!< the exit status; 128 + signal when killed by one
    std::string out;
    std::string err;
};

//! Runs AGENTHOST_CLI with `args`. AGENTHOST_PLUGIN_PATH and AGENTHOST_STORE
//! are removed from the child's environment so that the developer's own
//! plugins and run store never leak in; `extra_env` ("NAME=value") is added.
inline CliOutcome run_cli(const std::vector<std::string>& args, std::vector<std::string> extra_env = {}) {
    std::vector<std::string> argv_storage{AGENTHOST_CLI};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::string_view(*e).starts_with("AGENTHOST_PLUGIN_PATH=")) continue;
        if (std::string_view(*e).starts_with("AGENTHOST_STORE=")) continue;
        envp.push_back(*e);
    }
    for (std::string& e : extra_env) envp.push_back(e.data());
    envp.push_back(nullptr);

    int out_pipe[2];
    int err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (spawned != 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        throw std::runtime_error(std::string("posix_spawn ") + AGENTHOST_CLI + ": " + std::strerror(spawned));
    }

    CliOutcome outcome;
    std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
    std::array<std::string*, 2> sinks{&outcome.out, &outcome.err};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            std::array<char, 4096> buf;
            const ssize_t n = read(fds[i].fd, buf.data(), buf.size());
            if (n > 0) {
                sinks[i]->append(buf.data(), static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return outcome;
}

}  // namespace agenthost::test
