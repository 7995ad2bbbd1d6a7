// Runs a child process under test control: stdin streamed from a generator, a signal sent after
// a delay, or stdout closed after the first line, for tests of faults that `run_process` cannot
// produce.
#pragma once

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <functional>
#include <optional>
#include <poll.h>
#include <signal.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "support/process.hpp"

namespace jwtbatch::test {

/// What the test does to the child while it runs.
struct process_control {
    /// Produces stdin in pieces: fills its argument and returns true, or returns false at the
    /// end of input. Without it, stdin is closed at once.
    std::function<bool(std::string&)> next_input;
    /// Sends `signal_number` this long after the start, unless the child has ended.
    std::optional<std::chrono::milliseconds> signal_after;
    int signal_number = SIGTERM;
    /// Closes the read end of stdout once a line end has arrived, as `| head -1` does.
    bool close_stdout_after_first_line = false;
};

/// What the child produced and whether the signal was sent before it ended.
struct controlled_result {
    process_result process;
    bool signal_sent = false;
    std::chrono::milliseconds elapsed{0};
};

/// Runs `program` with `args` under `control` and waits for it. Throws std::runtime_error when
/// the process cannot be started.
inline controlled_result run_controlled(const std::string& program,
                                        const std::vector<std::string>& args,
                                        const process_control& control) {
    const auto start = std::chrono::steady_clock::now();
    const child_process child = spawn_process(program, args);
    const pid_t pid = child.pid;
    int stdin_fd = child.stdin_fd;
    fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
    int stdout_fd = child.stdout_fd;
    int stderr_fd = child.stderr_fd;
    if (!control.next_input) {
        close(stdin_fd);
        stdin_fd = -1;
    }
    controlled_result result;
    std::string chunk;
    size_t chunk_written = 0;
    bool child_exited = false;
    int status = 0;
    char buffer[65536];

    while (stdout_fd >= 0 || stderr_fd >= 0 || stdin_fd >= 0) {
        const auto now = std::chrono::steady_clock::now();
        if (control.signal_after && !result.signal_sent
            && now - start >= *control.signal_after) {
            kill(pid, control.signal_number);
            result.signal_sent = true;
        }
        std::vector<pollfd> fds;
        fds.push_back({stdout_fd, POLLIN, 0});
        fds.push_back({stderr_fd, POLLIN, 0});
        fds.push_back({stdin_fd, POLLOUT, 0});
        const int timeout_ms = control.signal_after && !result.signal_sent ? 10 : 1000;
        if (poll(fds.data(), fds.size(), timeout_ms) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (int i = 0; i < 2; ++i) {
            int& fd = i == 0 ? stdout_fd : stderr_fd;
            if (fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            ssize_t n = read(fd, buffer, sizeof buffer);
            if (n > 0) {
                std::string& text = i == 0 ? result.process.out : result.process.err;
                text.append(buffer, static_cast<size_t>(n));
                if (i == 0 && control.close_stdout_after_first_line
                    && text.find('\n') != std::string::npos) {
                    close(fd);
                    fd = -1;
                }
            } else if (n == 0 || errno != EINTR) {
                close(fd);
                fd = -1;
            }
        }
        if (stdin_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            if (chunk_written == chunk.size()) {
                chunk.clear();
                chunk_written = 0;
                if (!control.next_input(chunk)) {
                    close(stdin_fd);
                    stdin_fd = -1;
                    continue;
                }
            }
            ssize_t n = write(stdin_fd, chunk.data() + chunk_written, chunk.size() - chunk_written);
            if (n > 0) {
                chunk_written += static_cast<size_t>(n);
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                close(stdin_fd); // the child closed stdin or ended
                stdin_fd = -1;
            }
        }
        // Once stdout is closed early, the child may keep running with stderr open. After the
        // child has ended, its unread stdin must not keep this loop alive.
        if (!child_exited && waitpid(pid, &status, WNOHANG) == pid) {
            child_exited = true;
            if (stdin_fd >= 0) {
                close(stdin_fd);
                stdin_fd = -1;
            }
        }
    }
    if (!child_exited) {
        waitpid(pid, &status, 0);
    }
    result.process.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return result;
}

} // namespace jwtbatch::test
