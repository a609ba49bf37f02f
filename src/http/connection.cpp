#include "http/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace lima::http {

namespace {

thread_local Connection* tls_current = nullptr;

// Sets the calling thread's connection for a scope.
struct Current {
  explicit Current(Connection* c) { tls_current = c; }
  ~Current() { tls_current = nullptr; }
  Current(const Current&) = delete;
  Current& operator=(const Current&) = delete;
};

// poll(2) on one descriptor, retried on EINTR; >0 ready, 0 timeout, <0 error.
int wait_for(int fd, short events, int timeout_ms, short* revents = nullptr) {
  pollfd p{fd, events, 0};
  int r;
  do r = ::poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (revents) *revents = p.revents;
  return r;
}

std::string byte_name(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", c);
  return buf;
}

bool is_hex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  ip = text;
}

constexpr std::size_t kBufferSize = 64u << 10;
constexpr std::size_t kMaxChunkLine = 4096;

}  // namespace

Connection::Connection(int fd, Timeouts timeouts) : fd_(fd), timeouts_(timeouts), buf_(kBufferSize) {}

Connection* Connection::current() { return tls_current; }

bool Connection::is_readable() const {
  return off_ < len_ || wait_for(fd_, POLLIN, timeouts_.read_ms) > 0;
}

bool Connection::is_writable() const {
  short revents = 0;
  return wait_for(fd_, POLLOUT, timeouts_.write_ms, &revents) > 0 && !(revents & (POLLERR | POLLHUP));
}

ssize_t Connection::fill() {
  if (wait_for(fd_, POLLIN, timeouts_.read_ms) <= 0) return -1;  // timed out
  ssize_t n;
  do n = ::recv(fd_, buf_.data(), buf_.size(), 0);
  while (n < 0 && errno == EINTR);
  if (n > 0) {
    off_ = 0;
    len_ = static_cast<std::size_t>(n);
  }
  return n;
}

ssize_t Connection::read(char* ptr, std::size_t size) {
  if (failed_) return -1;  // a malformed body: every read fails
  if (stopped_) return 0;
  if (off_ == len_)
    if (const auto n = fill(); n <= 0) return n;
  const auto allowed = admit(buf_.data() + off_, std::min(size, len_ - off_));
  if (allowed < 0) return -1;
  std::memcpy(ptr, buf_.data() + off_, static_cast<std::size_t>(allowed));
  off_ += static_cast<std::size_t>(allowed);
  return allowed;
}

ssize_t Connection::write(const char* ptr, std::size_t size) {
  if (!is_writable()) return -1;
  ssize_t n;
  do n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

void Connection::get_remote_ip_and_port(std::string& ip, int& port) const { address_of(fd_, true, ip, port); }
void Connection::get_local_ip_and_port(std::string& ip, int& port) const { address_of(fd_, false, ip, port); }

void Connection::start_request() {
  phase_ = Phase::line;
  line_.clear();
  head_bytes_ = 0;
  line_cr_ = false;
  stopped_ = false;
  failed_ = false;
  fault_.reset();
  chunk_ = Chunk::off;
  closing_ = false;
}

void Connection::check_chunked_body() {
  chunk_ = Chunk::size;
  chunk_left_ = 0;
  chunk_digits_ = 0;
  chunk_line_ = 0;
}

bool Connection::fail(std::string why) {
  if (!fault_) fault_ = std::move(why);
  return false;
}

ssize_t Connection::admit(const char* p, std::size_t n) {
  switch (phase_) {
    case Phase::line: return check_line(p, n);
    case Phase::head:
      // The request line's bytes count too.
      if (head_bytes_ + n > kMaxHead) {
        n = kMaxHead - std::min(head_bytes_, kMaxHead);
        stopped_ = true;
        fail("the request's headers are over " + std::to_string(kMaxHead >> 10) + " KiB");
      }
      head_bytes_ += n;
      return static_cast<ssize_t>(n);
    case Phase::body:
      if (chunk_ != Chunk::off && !check_chunks(p, n)) {
        failed_ = true;
        return -1;
      }
      return static_cast<ssize_t>(n);
  }
  return -1;
}

// The request line: "METHOD TARGET VERSION" CRLF, visible bytes and spaces
// (bytes over 0x7f too: some clients send UTF-8 unencoded in the target).
// Reading stops after a byte no request line may hold, and once the line is
// longer than httplib serves, so httplib answers 400 or 414 at once.
ssize_t Connection::check_line(const char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    line_ += static_cast<char>(c);
    ++head_bytes_;
    if (c == '\n') {
      phase_ = Phase::head;
      return static_cast<ssize_t>(i + 1);
    }
    if (line_cr_ || (c < 0x20 && c != '\r') || c == 0x7f) {
      stopped_ = true;
      fail(line_cr_ ? std::string("the request line has a CR that is not followed by LF")
                    : "the request line holds the control byte " + byte_name(c) + " (byte " +
                          std::to_string(line_.size()) + ")");
      return static_cast<ssize_t>(i + 1);
    }
    line_cr_ = c == '\r';
    if (line_.size() > kMaxRequestLine) {  // CRLF included: longer than httplib serves (414)
      stopped_ = true;
      return static_cast<ssize_t>(i + 1);
    }
  }
  return static_cast<ssize_t>(n);
}

// Chunked framing (RFC 9112 §7.1): a size line of hex digits (an extension
// may follow after ';'), CRLF, that many bytes, CRLF; a last chunk of size 0,
// then CRLF (httplib takes no trailer fields).
bool Connection::check_chunks(const char* p, std::size_t n) {
  const std::string bad = "the chunked body is malformed: ";
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    switch (chunk_) {
      case Chunk::off: return true;
      case Chunk::size:
        ++chunk_line_;
        if (is_hex(c)) {
          if (++chunk_digits_ > 15) return fail(bad + "a chunk size has more than 15 hex digits");
          chunk_left_ = chunk_left_ * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        } else if (chunk_digits_ == 0) {
          return fail(bad + "a chunk size must be hex digits, not " +
                      (c > 0x20 && c < 0x7f ? "'" + std::string(1, static_cast<char>(c)) + "'" : byte_name(c)));
        } else if (c == '\r') {
          chunk_ = Chunk::size_lf;
        } else if (c == ';' || c == ' ' || c == '\t') {
          chunk_ = Chunk::size_ext;
        } else {
          return fail(bad + "a chunk size is followed by " + byte_name(c) + ", not CRLF or ';'");
        }
        break;
      case Chunk::size_ext:
        if (++chunk_line_ > kMaxChunkLine) return fail(bad + "a chunk size line is over 4 KiB");
        if (c == '\r') chunk_ = Chunk::size_lf;
        else if ((c < 0x20 && c != '\t') || c == 0x7f) return fail(bad + "a chunk extension holds the byte " + byte_name(c));
        break;
      case Chunk::size_lf:
        if (c != '\n') return fail(bad + "a chunk size line does not end in CRLF");
        chunk_ = chunk_left_ == 0 ? Chunk::end_cr : Chunk::data;
        break;
      case Chunk::data: {
        const auto take = std::min<std::uint64_t>(chunk_left_, n - i);
        chunk_left_ -= take;
        i += static_cast<std::size_t>(take) - 1;
        if (chunk_left_ == 0) chunk_ = Chunk::data_cr;
        break;
      }
      case Chunk::data_cr:
        if (c != '\r') return fail(bad + "a chunk's data is longer than its size");
        chunk_ = Chunk::data_lf;
        break;
      case Chunk::data_lf:
        if (c != '\n') return fail(bad + "a chunk's data is not followed by CRLF");
        chunk_ = Chunk::size;
        chunk_digits_ = 0;
        chunk_line_ = 0;
        break;
      case Chunk::end_cr:
        if (c != '\r') return fail(bad + "trailer fields after the last chunk are not accepted");
        chunk_ = Chunk::end_lf;
        break;
      case Chunk::end_lf:
        if (c != '\n') return fail(bad + "the last chunk is not followed by CRLF");
        chunk_ = Chunk::off;
        break;
    }
  }
  return true;
}

bool Connection::wait_for_request(int timeout_ms, const std::function<bool()>& stopping) {
  if (off_ < len_) return true;  // the next request is here already
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!stopping()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    const int r = wait_for(fd_, POLLIN, static_cast<int>(std::min<long long>(left, 100)));
    if (r != 0) return r > 0;
  }
  return false;
}

void Connection::finish(const std::function<bool()>& stopping) {
  if (closing_) {
    // The answer is out; show the client the end of it, then read what it
    // still sends, so its kernel has no unread data to answer with a reset.
    ::shutdown(fd_, SHUT_WR);
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    auto last = start;
    std::uint64_t dropped = len_ - off_;
    auto ms_since = [](Clock::time_point t) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
    };
    while (dropped < kLingerBytes && !stopping()) {
      const auto idle = ms_since(last), total = ms_since(start);
      if (idle >= kLingerIdleMs || total >= kLingerMs) break;
      const auto wait = std::min<long long>({100, kLingerIdleMs - idle, kLingerMs - total});
      const int r = wait_for(fd_, POLLIN, static_cast<int>(wait));
      if (r < 0) break;
      if (r == 0) continue;
      const auto n = ::recv(fd_, buf_.data(), buf_.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the client closed (or reset) its side
      dropped += static_cast<std::uint64_t>(n);
      last = Clock::now();
    }
  }
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
}

bool ConnectionServer::process_and_close_socket(socket_t sock) {
  auto ms = [](time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); };
  Connection conn(sock, {ms(read_timeout_sec_, read_timeout_usec_), ms(write_timeout_sec_, write_timeout_usec_)});
  Current current(&conn);
  const std::function<bool()> stopping = [this] { return svr_sock_ == INVALID_SOCKET; };
  bool ret = false;
  for (auto left = keep_alive_max_count_; left > 0 && !stopping(); --left) {
    if (!conn.wait_for_request(ms(keep_alive_timeout_sec_, 0), stopping)) break;
    conn.start_request();
    bool closed = false;
    ret = process_request(conn, left == 1, closed, nullptr);
    if (!ret || closed || conn.closing()) break;
  }
  conn.finish(stopping);
  return ret;
}

}  // namespace lima::http
