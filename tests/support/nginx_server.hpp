// A real nginx serving static files over TLS on 127.0.0.1, with a throw-away CA made by the
// openssl command line, for tests of the JWKS fetch and cache. Every file lives in one temporary
// directory that the server object removes.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace jwtbatch::test {

inline constexpr const char* nginx_path = "/usr/sbin/nginx";

/// Reads a whole file, or returns an empty string when it cannot be opened.
inline std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream content;
    content << file.rdbuf();
    return content.str();
}

/// Replaces `path` by rename, so nginx never serves a half-written file.
inline void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
    auto temporary = path;
    temporary += ".tmp";
    {
        std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
        file << content;
    }
    std::filesystem::rename(temporary, path);
}

/// Returns a TCP port on 127.0.0.1 that was free when the call returned.
inline int find_free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

/// Returns true when a TCP connection to 127.0.0.1:`port` succeeds.
inline bool accepts_connections(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

/// Runs an openssl command line in `directory`; fails the test with its output on error.
inline void run_openssl(const std::filesystem::path& directory, const std::string& arguments) {
    std::string log = (directory / "openssl.log").string();
    std::string command = "cd '" + directory.string() + "' && openssl " + arguments + " >'" + log
                          + "' 2>&1";
    int status = std::system(command.c_str());
    INFO("openssl " << arguments << "\n" << read_text_file(log));
    REQUIRE(status == 0);
}

/// The ports of one nginx instance; each server block differs only in its certificate or TLS.
struct nginx_ports {
    int trusted = 0;       ///< certificate for 127.0.0.1 and localhost from the trusted CA
    int wrong_name = 0;    ///< certificate for other.example from the trusted CA
    int untrusted_ca = 0;  ///< certificate for 127.0.0.1 from a CA the client does not trust
    int plain_http = 0;    ///< no TLS
};

/// A temporary directory with a trusted CA (`ca.pem`), an untrusted one, three server
/// certificates, a document root `www/` and a running nginx. `stop()` and `start()` take the
/// server down and up again on the same ports. The destructor stops nginx and removes the files.
class nginx_server {
public:
    nginx_server() {
        if (!std::filesystem::exists(nginx_path)) {
            FAIL("nginx not found at " << nginx_path
                                       << ": the JWKS network tests need it; run "
                                          "scripts/install-deps.sh (Debian package nginx-light)");
        }
        std::string pattern =
            (std::filesystem::temp_directory_path() / "jwtbatch-nginx-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        root_ = pattern;
        std::filesystem::create_directories(root_ / "www");
        std::filesystem::create_directories(root_ / "tmp");
        make_certificates();
        ports_ = {find_free_port(), find_free_port(), find_free_port(), find_free_port()};
        write_config();
        start();
    }

    ~nginx_server() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(root_, ignored);
    }

    nginx_server(const nginx_server&) = delete;
    nginx_server& operator=(const nginx_server&) = delete;

    [[nodiscard]] const nginx_ports& ports() const noexcept { return ports_; }

    [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }

    /// The trusted CA certificate, for `--cacert`.
    [[nodiscard]] std::string ca_path() const { return (root_ / "ca.pem").string(); }

    /// Returns "https://127.0.0.1:<trusted port><path>".
    [[nodiscard]] std::string https_url(const std::string& path) const {
        return "https://127.0.0.1:" + std::to_string(ports_.trusted) + path;
    }

    /// Serves `content` at `/<name>` from now on.
    void put_file(const std::string& name, const std::string& content) const {
        write_file_atomically(root_ / "www" / name, content);
    }

    /// Returns the access log lines "METHOD URI STATUS "If-None-Match" "If-Modified-Since"".
    [[nodiscard]] std::vector<std::string> request_log() const {
        std::vector<std::string> lines;
        std::istringstream in(read_text_file(root_ / "access.log"));
        for (std::string line; std::getline(in, line);) {
            lines.push_back(line);
        }
        return lines;
    }

    /// Returns how many logged requests were for `uri` (query included).
    [[nodiscard]] size_t count_requests(const std::string& uri) const {
        size_t count = 0;
        for (const auto& line : request_log()) {
            if (line.rfind("GET " + uri + " ", 0) == 0) {
                ++count;
            }
        }
        return count;
    }

    /// Waits up to five seconds until the log has a request for `uri`. nginx writes a line
    /// after the response, so a request made after this returns is logged after it.
    void wait_for_logged_request(const std::string& uri) const {
        for (int attempt = 0; attempt < 500; ++attempt) {
            if (count_requests(uri) > 0) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        FAIL("nginx did not log a request for " << uri << "; log:\n"
                                                << read_text_file(root_ / "access.log"));
    }

    void start() {
        REQUIRE(pid_ == 0);
        std::string config = (root_ / "nginx.conf").string();
        std::string prefix = root_.string() + "/";
        std::vector<std::string> arguments = {
            nginx_path, "-p", prefix, "-c", config, "-g", "daemon off;"};
        std::vector<char*> argv;
        for (auto& argument : arguments) {
            argv.push_back(argument.data());
        }
        argv.push_back(nullptr);
        pid_t pid = 0;
        REQUIRE(::posix_spawn(&pid, nginx_path, nullptr, nullptr, argv.data(), environ) == 0);
        pid_ = pid;
        for (int attempt = 0; attempt < 500; ++attempt) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                FAIL("nginx exited at start; error log:\n"
                     << read_text_file(root_ / "error.log"));
            }
            if (accepts_connections(ports_.trusted) && accepts_connections(ports_.plain_http)) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        stop();
        FAIL("nginx did not listen on 127.0.0.1:" << ports_.trusted << " within five seconds");
    }

    /// Stops nginx and waits for it, so its ports refuse connections afterwards.
    void stop() noexcept {
        if (pid_ == 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        for (int attempt = 0; attempt < 500; ++attempt) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = 0;
    }

private:
    void make_ca(const std::string& name, const std::string& subject) {
        run_openssl(root_,
                    "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
                    " -keyout "
                        + name + ".key -out " + name + ".pem -subj '/CN=" + subject
                        + "' -addext basicConstraints=critical,CA:TRUE"
                          " -addext keyUsage=critical,keyCertSign,cRLSign");
    }

    void make_leaf(const std::string& name, const std::string& ca, const std::string& names) {
        std::ofstream(root_ / (name + ".ext"))
            << "subjectAltName=" << names << "\nbasicConstraints=CA:FALSE\n"
            << "extendedKeyUsage=serverAuth\n";
        run_openssl(root_,
                    "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + name
                        + ".key -out " + name + ".csr -subj '/CN=" + name + "'");
        run_openssl(root_,
                    "x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca
                        + ".key -set_serial 0x" + std::to_string(++serial_) + " -days 2 -out "
                        + name + ".pem -extfile " + name + ".ext");
    }

    void make_certificates() {
        make_ca("ca", "jwtbatch test CA");
        make_ca("rogue-ca", "jwtbatch untrusted test CA");
        make_leaf("trusted", "ca", "IP:127.0.0.1,DNS:localhost");
        make_leaf("wrong-name", "ca", "DNS:other.example");
        make_leaf("untrusted", "rogue-ca", "IP:127.0.0.1,DNS:localhost");
    }

    std::string tls_server_block(int port, const std::string& certificate) const {
        std::string dir = root_.string();
        std::ostringstream block;
        block << "  server {\n"
              << "    listen 127.0.0.1:" << port << " ssl;\n"
              << "    server_name localhost;\n"
              << "    ssl_certificate " << dir << "/" << certificate << ".pem;\n"
              << "    ssl_certificate_key " << dir << "/" << certificate << ".key;\n"
              << "    ssl_protocols TLSv1.2 TLSv1.3;\n"
              << "    root " << dir << "/www;\n"
              << "    absolute_redirect off;\n"
              << "    location = /redirect-to-http.json { return 302 http://127.0.0.1:"
              << ports_.plain_http << "/jwks.json; }\n"
              << "    location = /redirect-relative.json { return 302 jwks.json; }\n"
              << "    location = /redirect-loop.json { return 302 /redirect-loop.json; }\n"
              << "    location = /max-age-zero.json { add_header Cache-Control \"max-age=0\"; }\n"
              << "  }\n";
        return block.str();
    }

    void write_config() const {
        std::string dir = root_.string();
        std::ostringstream config;
        config << "worker_processes 1;\n"
               << "pid " << dir << "/nginx.pid;\n"
               << "error_log " << dir << "/error.log info;\n";
        if (::geteuid() == 0) {
            // As root, nginx would switch its worker to "nobody", which cannot read the 0700
            // temporary directory; the test's own user serves its own files.
            const passwd* user = ::getpwuid(::geteuid());
            const group* group_entry = ::getgrgid(::getegid());
            REQUIRE(user != nullptr);
            REQUIRE(group_entry != nullptr);
            config << "user " << user->pw_name << " " << group_entry->gr_name << ";\n";
        }
        config << "events { worker_connections 64; }\n"
               << "http {\n"
               << "  default_type application/json;\n"
               << "  log_format requests '$request_method $request_uri $status "
                  "\"$http_if_none_match\" \"$http_if_modified_since\" \"$http_user_agent\"';\n"
               << "  access_log " << dir << "/access.log requests;\n";
        for (const char* kind : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
            config << "  " << kind << "_temp_path " << dir << "/tmp/" << kind << ";\n";
        }
        config << tls_server_block(ports_.trusted, "trusted")
               << tls_server_block(ports_.wrong_name, "wrong-name")
               << tls_server_block(ports_.untrusted_ca, "untrusted")
               << "  server {\n"
               << "    listen 127.0.0.1:" << ports_.plain_http << ";\n"
               << "    root " << dir << "/www;\n"
               << "  }\n"
               << "}\n";
        std::ofstream(root_ / "nginx.conf") << config.str();
    }

    std::filesystem::path root_;
    nginx_ports ports_;
    pid_t pid_ = 0;
    int serial_ = 0;
};

} // namespace jwtbatch::test
