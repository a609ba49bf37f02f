// A client connection of the control API, as the server lives it.
//
// cpp-httplib (0.11, a shared library) reads requests through a Stream and
// runs the handlers on the thread that serves the socket. ConnectionServer
// takes over that part: each accepted socket becomes a Connection, a Stream
// of ours, and its requests are handed to httplib one at a time. So the
// connection can
//  - read the request line strictly: a control byte in it, or a line longer
//    than httplib takes, ends the reading at once (httplib then answers 400
//    or 414) instead of waiting for a newline that may never come; the
//    request head as a whole is bounded too;
//  - check the framing of a chunked body while httplib reads it: a chunk
//    size that is not hexadecimal (httplib would take "-5" for a huge size
//    and wait for that many bytes) fails the read at once;
//  - end after an answer: a handler that refuses a request whose body it
//    did not read (over its limit, malformed) asks for a close; the answer
//    then says "Connection: close", and the connection closes lingering:
//    the sending side is shut and what the client still sends is read and
//    dropped for a bounded time and amount, so a client still sending its
//    body reads the answer instead of a reset connection.
// Handlers reach the connection serving them through Connection::current().
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lima::http {

class Connection : public httplib::Stream {
 public:
  /// The longest request line httplib serves (CPPHTTPLIB_REQUEST_URI_MAX_LENGTH).
  static constexpr std::size_t kMaxRequestLine = 8192;
  /// The most the request line and headers together may take.
  static constexpr std::size_t kMaxHead = 64u << 10;
  /// A lingering close reads and drops at most this much, for at most this
  /// long, and stops when nothing arrives for kLingerIdleMs.
  static constexpr std::uint64_t kLingerBytes = std::uint64_t{1} << 30;
  static constexpr int kLingerMs = 10'000;
  static constexpr int kLingerIdleMs = 2'000;

  struct Timeouts {
    int read_ms = 5000;
    int write_ms = 5000;
  };
  Connection(int fd, Timeouts timeouts);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// The connection the calling thread serves, or nullptr.
  static Connection* current();

  // -- httplib::Stream --
  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, std::size_t size) override;
  ssize_t write(const char* ptr, std::size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

  // -- the request being served --

  /// Called before each request: what is read next is a request line.
  void start_request();
  /// Called once the request line and headers have been read (the
  /// pre-routing handler): what is read next is the body.
  void mark_routed() { phase_ = Phase::body; }
  /// Whether the request got as far as mark_routed().
  bool routed() const { return phase_ == Phase::body; }
  /// The request line as it arrived (up to its end, or to where reading
  /// it stopped).
  const std::string& request_line() const { return line_; }
  /// Checks the framing of the body as it is read: it is chunked.
  void check_chunked_body();
  /// Why reading stopped early (a control byte in the request line, a head
  /// too large, a malformed chunk), or nullopt.
  const std::optional<std::string>& fault() const { return fault_; }

  /// Answers this request with "Connection: close", then closes lingering.
  void close_after_answer() { closing_ = true; }
  bool closing() const { return closing_; }

  /// Waits up to `timeout_ms` for the next request; false when none comes,
  /// or `stopping` says the server stops.
  bool wait_for_request(int timeout_ms, const std::function<bool()>& stopping);
  /// Ends the connection: shuts it down and closes it, lingering first when
  /// close_after_answer() was asked for.
  void finish(const std::function<bool()>& stopping);

 private:
  enum class Phase { line, head, body };
  enum class Chunk { off, size, size_ext, size_lf, data, data_cr, data_lf, end_cr, end_lf };

  // Bytes of the buffer about to be handed out: checked, and counted. Returns
  // how many may go (fewer when reading must stop after them), or -1.
  ssize_t admit(const char* p, std::size_t n);
  ssize_t check_line(const char* p, std::size_t n);
  bool check_chunks(const char* p, std::size_t n);
  bool fail(std::string why);
  // Fills the buffer from the socket; <0 error or timeout, 0 end of stream.
  ssize_t fill();

  int fd_;
  Timeouts timeouts_;
  std::vector<char> buf_;
  std::size_t off_ = 0, len_ = 0;

  Phase phase_ = Phase::line;
  std::string line_;
  std::size_t head_bytes_ = 0;
  bool line_cr_ = false;
  bool stopped_ = false;  // the head ends early: every further read is "end of stream"
  bool failed_ = false;   // the body is malformed: every further read fails
  std::optional<std::string> fault_;

  Chunk chunk_ = Chunk::off;
  std::uint64_t chunk_left_ = 0;
  unsigned chunk_digits_ = 0;
  std::size_t chunk_line_ = 0;

  bool closing_ = false;
};

/// The httplib server whose sockets are served as Connections.
class ConnectionServer : public httplib::Server {
 private:
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace lima::http
