// A stand-in for qemu-system-x86_64 (kreg run --qemu THIS) that corrupts one
// VM's result stream on its way to disk, for the fault-injection test.
//
// Without KREG_TEST_FLIP_SERIAL, or when the ttyS1 path of this VM does not
// contain its value, it simply becomes QEMU (execvp, same argv). Otherwise
// it puts a FIFO between QEMU's ttyS1 and the results.serial file kreg
// reads: a relay child copies every byte from the FIFO to the file and
// flips one bit inside the payload of the first "job" frame. QEMU and the
// guest are real and untouched; only the bytes in transit change, which is
// what a bad cable, a broken pipe or a second writer would do to a stream.
// The relay ends when QEMU closes its end (QEMU gone, whoever killed it).
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* kQemu = "qemu-system-x86_64";
constexpr std::string_view kJobHeader = "@KREG1 job ";

[[noreturn]] void become_qemu(std::vector<char*>& args) {
  args[0] = const_cast<char*>(kQemu);
  execvp(kQemu, args.data());
  std::perror("serial_flip_qemu: exec qemu-system-x86_64");
  _exit(127);
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Copies `fifo` to `target`, flipping one bit 40 bytes into the first job
// frame (past its header, inside the JSON payload; 0x01 never makes a newline
// of printable JSON). Bytes are held back only while a header may be split.
[[noreturn]] void relay(const std::string& fifo, const std::string& target, const std::string& dir) {
  int in = open(fifo.c_str(), O_RDONLY);  // waits for QEMU to open its end
  // From here on QEMU holds the other end: the relay ends at EOF, after the
  // last byte QEMU wrote, not when QEMU's death signal would cut it short.
  prctl(PR_SET_PDEATHSIG, 0);
  int out = open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) _exit(1);
  std::string buf;
  size_t written = 0;
  bool flipped = false;
  char chunk[65536];
  for (;;) {
    ssize_t n = read(in, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) buf.append(chunk, static_cast<size_t>(n));
    size_t safe = buf.size();
    if (!flipped) {
      size_t header = buf.find(kJobHeader, written > kJobHeader.size() ? written - kJobHeader.size() : 0);
      if (header == std::string::npos) {
        safe = buf.size() > kJobHeader.size() ? buf.size() - kJobHeader.size() : 0;
      } else if (header + 40 + 64 < buf.size()) {  // the header and 40 bytes past it
        size_t payload = buf.find(' ', header + kJobHeader.size());
        payload = buf.find(' ', payload + 1) + 1;  // after "<length> <crc> "
        buf[payload + 40] ^= 0x01;
        flipped = true;
      } else {
        safe = header;
      }
    }
    safe = std::max(safe, written);
    if (!write_all(out, buf.data() + written, safe - written)) break;
    written = safe;
    if (n == 0) {
      write_all(out, buf.data() + written, buf.size() - written);
      break;
    }
  }
  unlink(fifo.c_str());
  rmdir(dir.c_str());
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  args.push_back(nullptr);
  const char* victim = std::getenv("KREG_TEST_FLIP_SERIAL");
  // kreg gives ttyS0 (console) first, then ttyS1 (results): the second -serial.
  int serial_seen = 0, results_arg = -1;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "-serial") == 0 && ++serial_seen == 2) results_arg = i + 1;
  if (!victim || !*victim || results_arg < 0 || std::strncmp(argv[results_arg], "file:", 5) != 0 ||
      !std::strstr(argv[results_arg], victim))
    become_qemu(args);
  const std::string target = argv[results_arg] + 5;
  char tmpl[] = "/tmp/kreg-flip-XXXXXX";
  if (!mkdtemp(tmpl)) become_qemu(args);
  const std::string dir = tmpl, fifo = dir + "/ttyS1.fifo";
  if (mkfifo(fifo.c_str(), 0600) != 0) become_qemu(args);
  const pid_t qemu = getpid();
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a QEMU that never opens the FIFO must not strand the relay
    if (getppid() != qemu) _exit(0);
    relay(fifo, target, dir);
  }
  static std::string serial_arg = "file:" + fifo;
  args[results_arg] = serial_arg.data();
  become_qemu(args);
}
