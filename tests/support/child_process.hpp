#pragma once
// child_process: starts a program for a test (an emulator, a peer server) with its stdout on a
// pipe, reads lines from it with a deadline, and always stops it: terminate() sends SIGTERM and
// waits (SIGKILL after a grace period); the destructor does the same, and the child gets SIGKILL
// when the test process dies (PR_SET_PDEATHSIG), so even an aborted test leaves no server running. stderr is inherited, so a crashing child explains itself in the log.
// Header-only on purpose: every test executable can use it without linking anything.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace idabus::test {

/// The path of program `name` of this build. Every executable of the build (programs, tests,
/// benchmarks) lands in build/bin/, so the programs sit next to the running executable. Found at
/// run time, not compiled in: an absolute build path in a -D definition would keep ccache from
/// sharing entries between clones of the repository.
inline std::string program_path(const std::string& name) {
  return (std::filesystem::canonical("/proc/self/exe").parent_path() / name).string();
}

class child_process {
 public:
  /// Starts argv[0] (a path, or a name looked up in PATH) with the given arguments and extra
  /// environment entries ("NAME=value"). Throws std::runtime_error if it cannot be started.
  explicit child_process(std::vector<std::string> argv, std::vector<std::string> extra_env = {}) {
    if (argv.empty()) throw std::invalid_argument("child_process: empty argv");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("child_process: pipe: " + std::string(std::strerror(errno)));
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : extra_env) env_storage_.push_back(std::move(e));
    std::vector<char*> env;
    for (char** e = environ; *e; ++e) env.push_back(*e);
    for (auto& e : env_storage_) env.push_back(e.data());
    env.push_back(nullptr);
    // Reports exec failures to the parent; closed by a successful exec (O_CLOEXEC).
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) throw std::runtime_error("child_process: pipe: " + std::string(std::strerror(errno)));
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("child_process: fork: " + std::string(std::strerror(errno)));
    if (pid_ == 0) {
      // The child dies with the test process, even when the test aborts without destructors.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(fds[1], STDOUT_FILENO);
      ::execvpe(args[0], args.data(), env.data());
      const int err = errno;
      (void)!::write(status_pipe[1], &err, sizeof err);
      ::_exit(127);
    }
    ::close(status_pipe[1]);
    ::close(fds[1]);
    int exec_error = 0;
    const bool failed = ::read(status_pipe[0], &exec_error, sizeof exec_error) == static_cast<ssize_t>(sizeof exec_error);
    ::close(status_pipe[0]);
    if (failed) {
      ::close(fds[0]);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      throw std::runtime_error("child_process: cannot start '" + argv[0] + "': " + std::strerror(exec_error));
    }
    out_fd_ = fds[0];
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  ~child_process() {
    terminate();
    if (out_fd_ >= 0) ::close(out_fd_);
  }

  pid_t pid() const noexcept { return pid_; }

  /// The next line of the child's stdout (without '\n'), or nullopt at end of output or when
  /// `timeout` passes first.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto pos = buffer_.find('\n'); pos != std::string::npos) {
        std::string line = buffer_.substr(0, pos);
        buffer_.erase(0, pos + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || out_fd_ < 0) return std::nullopt;
      pollfd p{out_fd_, POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      char chunk[4096];
      ssize_t got = ::read(out_fd_, chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(got));
    }
  }

  /// Reads lines until one starts with `prefix`; returns the rest of that line.
  std::string wait_for_line(std::string_view prefix, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      auto line = read_line(left);
      if (!line) throw std::runtime_error("child_process: no line starting with '" + std::string(prefix) + "' in time");
      if (line->rfind(prefix, 0) == 0) return line->substr(prefix.size());
    }
  }

  /// Sends `sig` (SIGTERM by default) and waits for the exit; SIGKILL after `grace`.
  /// Returns the exit status as from waitpid (or the cached one when already reaped).
  int terminate(int sig = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (pid_ <= 0) return status_;
    ::kill(pid_, sig);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
      if (try_reap()) return status_;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }

  /// Waits for the child to exit by itself; returns the waitpid status.
  int wait() {
    if (pid_ > 0) {
      ::waitpid(pid_, &status_, 0);
      pid_ = -1;
    }
    return status_;
  }

 private:
  bool try_reap() {
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return false;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int status_ = 0;
  std::string buffer_;
  std::vector<std::string> env_storage_;
};

}  // namespace idabus::test
