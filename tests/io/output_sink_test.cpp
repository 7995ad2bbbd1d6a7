#include "io/output_sink.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/run_error.hpp"
#include "io/io_test_files.hpp"

namespace {

using jwtbatch::common::run_error;
using jwtbatch::io::open_output;
using jwtbatch::io::test::read_file;
using jwtbatch::io::test::temp_folder;
using jwtbatch::io::test::write_file;

mode_t file_mode(const std::string& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

/// Runs `body` in a forked child and returns its exit status, so that process-wide settings
/// (signal dispositions, resource limits, stdout) stay out of the test process.
template <typename Body>
int run_in_child(Body body) {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int status = 99;
        try {
            status = body();
        } catch (...) {
            status = 98;
        }
        ::_exit(status);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

} // namespace

TEST_CASE("output file appears only on commit", "[io]") {
    temp_folder folder;
    std::string path = folder.file("out.csv");
    auto sink = open_output(path);
    CHECK(sink->write("a,b\n"));
    CHECK(sink->write("c,d\n"));
    auto entries = folder.entries();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].starts_with(".out.csv.tmp-"));
    CHECK_FALSE(std::filesystem::exists(path));

    sink->commit();
    CHECK(read_file(path) == "a,b\nc,d\n");
    CHECK(folder.entries() == std::vector<std::string>{"out.csv"});
}

TEST_CASE("output file removed without commit", "[io]") {
    temp_folder folder;
    {
        auto sink = open_output(folder.file("out.csv"));
        CHECK(sink->write("partial"));
    }
    CHECK(folder.entries().empty());
}

TEST_CASE("output replaces existing file atomically", "[io]") {
    temp_folder folder;
    std::string path = folder.file("out.ndjson");
    write_file(path, "old\n");
    REQUIRE(::chmod(path.c_str(), 0640) == 0);
    auto sink = open_output(path);
    CHECK(sink->write("new\n"));
    CHECK(read_file(path) == "old\n");
    sink->commit();
    CHECK(read_file(path) == "new\n");
    CHECK(file_mode(path) == 0640);
}

TEST_CASE("output failed run keeps previous file", "[io]") {
    temp_folder folder;
    std::string path = folder.file("out.csv");
    write_file(path, "complete\n");
    {
        auto sink = open_output(path);
        CHECK(sink->write("half"));
    }
    CHECK(read_file(path) == "complete\n");
    CHECK(folder.entries() == std::vector<std::string>{"out.csv"});
}

TEST_CASE("output file mode follows umask", "[io]") {
    temp_folder folder;
    std::string path = folder.file("out.csv");
    mode_t previous = ::umask(027);
    {
        auto sink = open_output(path);
        sink->commit();
    }
    ::umask(previous);
    CHECK(file_mode(path) == 0640);
}

TEST_CASE("output writes through symbolic link", "[io]") {
    temp_folder folder;
    std::string target = folder.file("real.csv");
    std::string link = folder.file("link.csv");
    write_file(target, "old\n");
    std::filesystem::create_symlink(target, link);
    auto sink = open_output(link);
    CHECK(sink->write("new\n"));
    sink->commit();
    CHECK(std::filesystem::is_symlink(link));
    CHECK(read_file(target) == "new\n");
}

TEST_CASE("output reports missing folder and folder path", "[io]") {
    temp_folder folder;
    std::string missing = folder.file("no/such/out.csv");
    REQUIRE_THROWS_AS(open_output(missing), run_error);
    REQUIRE_THROWS_WITH(open_output(missing), Catch::Contains(missing));
    REQUIRE_THROWS_WITH(open_output(folder.path()),
                        "cannot write to " + folder.path().string() + ": Is a directory");
}

TEST_CASE("output writes device without rename", "[io]") {
    auto sink = open_output("/dev/null");
    CHECK(sink->write("discarded\n"));
    sink->commit();
    struct stat info {};
    REQUIRE(::stat("/dev/null", &info) == 0);
    CHECK(S_ISCHR(info.st_mode));
}

TEST_CASE("output reports full file with path", "[io]") {
    // RLIMIT_FSIZE replaces a full disk: the write fails with EFBIG once the file reaches
    // the limit, as it fails with ENOSPC on a full file system, without needing one.
    temp_folder folder;
    std::string path = folder.file("big.csv");
    int status = run_in_child([&] {
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit{4096, 4096};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
            return 10;
        }
        auto sink = open_output(path);
        try {
            sink->write(std::string(3000, 'a'));
            sink->write(std::string(3000, 'b'));
        } catch (const run_error& error) {
            std::string message = error.what();
            bool names_path = message.starts_with("cannot write to " + path + ": ");
            bool names_fault = message.find("File too large") != std::string::npos;
            return names_path && names_fault ? 0 : 11;
        }
        return 12;
    });
    CHECK(status == 0);
    CHECK(folder.entries().empty());
}

TEST_CASE("output stdout returns false on closed pipe", "[io]") {
    int status = run_in_child([] {
        std::signal(SIGPIPE, SIG_IGN);
        int pipe_fds[2];
        if (::pipe(pipe_fds) != 0) {
            return 10;
        }
        ::close(pipe_fds[0]);
        if (::dup2(pipe_fds[1], STDOUT_FILENO) != STDOUT_FILENO) {
            return 11;
        }
        auto sink = open_output("-");
        bool first = sink->write("row\n");
        bool second = sink->write("row\n");
        sink->commit();
        return !first && !second ? 0 : 12;
    });
    CHECK(status == 0);
}

TEST_CASE("output stdout writes every byte", "[io]") {
    temp_folder folder;
    std::string path = folder.file("stdout.txt");
    std::string bytes(3 * 1024 * 1024, 'x');
    bytes += std::string("\0end\n", 5);
    int status = run_in_child([&] {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ::dup2(fd, STDOUT_FILENO) != STDOUT_FILENO) {
            return 10;
        }
        auto sink = open_output("");
        return sink->write(bytes) ? 0 : 11;
    });
    CHECK(status == 0);
    CHECK(read_file(path) == bytes);
}
