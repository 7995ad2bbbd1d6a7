// Runs a program as a child process with given stdin and captures stdout, stderr and status.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace jwtbatch::test {

/// What a finished child process produced.
struct process_result {
    int exit_status = -1; ///< exit code, or 128 + signal number when killed by a signal
    std::string out;
    std::string err;
};

/// Runs `program` with `args` (argv[0] excluded), feeding `input` to its stdin and closing it.
/// Throws std::runtime_error when the process cannot be started.
inline process_result run_process(const std::string& program,
                                  const std::vector<std::string>& args,
                                  const std::string& input = {}) {
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
        throw std::runtime_error("pipe failed");
    }
    pid_t pid = fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        dup2(in_pipe[0], STDIN_FILENO);
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
            close(fd);
        }
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(program.c_str()));
        for (const std::string& arg : args) {
            argv.push_back(const_cast<char*>(arg.c_str()));
        }
        argv.push_back(nullptr);
        execv(program.c_str(), argv.data());
        _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    signal(SIGPIPE, SIG_IGN);
    fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);

    process_result result;
    size_t input_written = 0;
    if (input.empty()) {
        close(in_pipe[1]);
        in_pipe[1] = -1;
    }
    std::vector<pollfd> fds;
    char buffer[65536];
    int open_outputs = 2;
    while (open_outputs > 0 || in_pipe[1] >= 0) {
        fds.clear();
        fds.push_back({out_pipe[0], POLLIN, 0});
        fds.push_back({err_pipe[0], POLLIN, 0});
        if (in_pipe[1] >= 0) {
            fds.push_back({in_pipe[1], POLLOUT, 0});
        }
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (size_t i = 0; i < 2; ++i) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
                if (n > 0) {
                    (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
                } else {
                    close(fds[i].fd);
                    (i == 0 ? out_pipe[0] : err_pipe[0]) = -1;
                    --open_outputs;
                }
            }
        }
        if (in_pipe[1] >= 0 && fds.size() > 2 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(in_pipe[1], input.data() + input_written, input.size() - input_written);
            if (n > 0) {
                input_written += static_cast<size_t>(n);
            }
            if (n < 0 && errno != EAGAIN) {
                input_written = input.size();
            }
            if (input_written == input.size()) {
                close(in_pipe[1]);
                in_pipe[1] = -1;
            }
        }
        // A closed output keeps appearing in poll as fd -1, which poll ignores.
        if (out_pipe[0] < 0 && err_pipe[0] < 0 && in_pipe[1] < 0) {
            break;
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

/// Runs the jwtbatch binary built with the tests.
inline process_result run_jwtbatch(const std::vector<std::string>& args,
                                   const std::string& input = {}) {
    return run_process(JWTBATCH_BINARY, args, input);
}

} // namespace jwtbatch::test
