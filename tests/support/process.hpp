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

/// A started child process and the parent's ends of the pipes to its stdin, stdout and stderr.
struct child_process {
    pid_t pid = -1;
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
};

/// Starts `program` with `args` (argv[0] excluded) on three pipes, and ignores SIGPIPE in the
/// parent so that a child that stops reading shows up as EPIPE. Throws std::runtime_error when
/// the process cannot be started.
inline child_process spawn_process(const std::string& program,
                                   const std::vector<std::string>& args) {
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
    return {pid, in_pipe[1], out_pipe[0], err_pipe[0]};
}

/// Runs `program` with `args` (argv[0] excluded), feeding `input` to its stdin and closing it.
/// Throws std::runtime_error when the process cannot be started.
inline process_result run_process(const std::string& program,
                                  const std::vector<std::string>& args,
                                  const std::string& input = {}) {
    const child_process child = spawn_process(program, args);
    const pid_t pid = child.pid;
    int stdin_fd = child.stdin_fd;
    int stdout_fd = child.stdout_fd;
    int stderr_fd = child.stderr_fd;
    fcntl(stdin_fd, F_SETFL, O_NONBLOCK);

    process_result result;
    size_t input_written = 0;
    if (input.empty()) {
        close(stdin_fd);
        stdin_fd = -1;
    }
    std::vector<pollfd> fds;
    char buffer[65536];
    int open_outputs = 2;
    while (open_outputs > 0 || stdin_fd >= 0) {
        fds.clear();
        fds.push_back({stdout_fd, POLLIN, 0});
        fds.push_back({stderr_fd, POLLIN, 0});
        if (stdin_fd >= 0) {
            fds.push_back({stdin_fd, POLLOUT, 0});
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
                    (i == 0 ? stdout_fd : stderr_fd) = -1;
                    --open_outputs;
                }
            }
        }
        if (stdin_fd >= 0 && fds.size() > 2 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(stdin_fd, input.data() + input_written, input.size() - input_written);
            if (n > 0) {
                input_written += static_cast<size_t>(n);
            }
            if (n < 0 && errno != EAGAIN) {
                input_written = input.size();
            }
            if (input_written == input.size()) {
                close(stdin_fd);
                stdin_fd = -1;
            }
        }
        // A closed output keeps appearing in poll as fd -1, which poll ignores.
        if (stdout_fd < 0 && stderr_fd < 0 && stdin_fd < 0) {
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
