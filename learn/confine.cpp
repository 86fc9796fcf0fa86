// confine.cpp: see confine.h. Plain system calls and libseccomp; no Lua.
#include "confine.h"

#include <elf.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>

#if defined(__SANITIZE_ADDRESS__)
#define CONFINE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONFINE_SANITIZED 1
#endif
#endif

#ifndef LUASYNC_PLUGIN_INSTALL_DIR
#define LUASYNC_PLUGIN_INSTALL_DIR "/usr/local/lib/luasync"
#endif

namespace luasync::learn {

namespace {

// ---------------------------------------------------------------- landlock
// Our own copies of the ABI (Debian 12's headers stop at ABI 2).

struct LlRulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};
struct LlPathBeneath {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));
struct LlNetPort {
  uint64_t allowed_access;
  uint64_t port;
};
constexpr int kLlRulePathBeneath = 1, kLlRuleNetPort = 2;
constexpr uint32_t kLlVersion = 1u << 0;
enum : uint64_t {
  kFsExecute = 1ull << 0,
  kFsWriteFile = 1ull << 1,
  kFsReadFile = 1ull << 2,
  kFsReadDir = 1ull << 3,
  kFsRemoveDir = 1ull << 4,
  kFsRemoveFile = 1ull << 5,
  kFsMakeChar = 1ull << 6,
  kFsMakeDir = 1ull << 7,
  kFsMakeReg = 1ull << 8,
  kFsMakeSock = 1ull << 9,
  kFsMakeFifo = 1ull << 10,
  kFsMakeBlock = 1ull << 11,
  kFsMakeSym = 1ull << 12,
  kFsRefer = 1ull << 13,     // ABI 2
  kFsTruncate = 1ull << 14,  // ABI 3
  kFsIoctlDev = 1ull << 15,  // ABI 5
  kNetBindTcp = 1ull << 0,
  kNetConnectTcp = 1ull << 1,
  kScopeAbstractUnix = 1ull << 0,
  kScopeSignal = 1ull << 1,
};

int ll_abi() {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, kLlVersion);
  return v < 0 ? 0 : static_cast<int>(v);
}

uint64_t ll_fs_mask(int abi) {
  uint64_t m = (1ull << 13) - 1;
  if (abi >= 2) m |= kFsRefer;
  if (abi >= 3) m |= kFsTruncate;
  if (abi >= 5) m |= kFsIoctlDev;
  return m;
}

// Adds a path-beneath rule; a path that does not exist is skipped.
bool ll_allow(int ruleset, const std::string& path, uint64_t access, uint64_t handled, std::string* err) {
  access &= handled;
  int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return true;
  struct stat st;
  if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) {
    // Rights on a file: only those that make sense for one.
    access &= kFsExecute | kFsWriteFile | kFsReadFile | kFsTruncate | kFsIoctlDev;
  }
  LlPathBeneath pb{access, fd};
  long r = syscall(SYS_landlock_add_rule, ruleset, kLlRulePathBeneath, &pb, 0);
  int e = errno;
  ::close(fd);
  if (r != 0) {
    *err = "landlock_add_rule(" + path + "): " + std::strerror(e);
    return false;
  }
  return true;
}

// The ELF interpreter (PT_INTERP) of a program, or "".
std::string elf_interpreter(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof eh, 0) == sizeof eh && std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
      eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 64) {
    for (int i = 0; i < eh.e_phnum; i++) {
      Elf64_Phdr ph;
      if (pread(fd, &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * sizeof ph)) != sizeof ph) break;
      if (ph.p_type == PT_INTERP && ph.p_filesz > 1 && ph.p_filesz < 4096) {
        out.resize(ph.p_filesz);
        if (pread(fd, out.data(), ph.p_filesz, static_cast<off_t>(ph.p_offset)) != static_cast<ssize_t>(ph.p_filesz))
          out.clear();
        while (!out.empty() && out.back() == '\0') out.pop_back();
        break;
      }
    }
  }
  ::close(fd);
  return out;
}

std::string dir_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

// Restricts this process with Landlock (see confine.h for the rules).
bool apply_landlock(const Confinement& c, int abi, std::string* err) {
  const uint64_t fs_all = ll_fs_mask(abi);
  const uint64_t read = kFsReadFile | kFsReadDir;
  LlRulesetAttr attr{fs_all, 0, 0};
  size_t size = sizeof(uint64_t);
  if (abi >= 4) {
    // Without the http grant, no TCP at all; with it, bind only to an
    // ephemeral port (connections are the netns's and the socket check's).
    attr.handled_access_net = c.network ? kNetBindTcp : kNetBindTcp | kNetConnectTcp;
    size = 2 * sizeof(uint64_t);
  }
  if (abi >= 6) {
    attr.scoped = kScopeAbstractUnix | kScopeSignal;
    size = sizeof attr;
  }
  int rs = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, size, 0));
  if (rs < 0) {
    *err = std::string("landlock_create_ruleset: ") + std::strerror(errno);
    return false;
  }
  bool ok = true;
  for (const char* d : {"/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/etc", "/proc", "/sys"})
    ok = ok && ll_allow(rs, d, read, fs_all, err);
  ok = ok && ll_allow(rs, "/dev/null", kFsReadFile | kFsWriteFile | kFsIoctlDev, fs_all, err);
  for (const char* d : {"/dev/zero", "/dev/urandom", "/dev/random"}) ok = ok && ll_allow(rs, d, kFsReadFile, fs_all, err);
  const std::string& exe = self_exe_path();
  ok = ok && ll_allow(rs, exe, kFsReadFile | (c.processes ? uint64_t{kFsExecute} : uint64_t{0}), fs_all, err);
  // The HTTP plugin, wherever modules.cpp may look for it.
  ok = ok && ll_allow(rs, dir_of(exe) + "/lib/luasync", read, fs_all, err);
  ok = ok && ll_allow(rs, dir_of(exe) + "/../lib/luasync", read, fs_all, err);
  ok = ok && ll_allow(rs, LUASYNC_PLUGIN_INSTALL_DIR, read, fs_all, err);
  if (const char* d = std::getenv("LUASYNC_PLUGIN_DIR"); d && *d) ok = ok && ll_allow(rs, d, read, fs_all, err);
  if (c.processes) {
    std::vector<std::string> progs = c.programs;
    progs.push_back(exe);
    for (const std::string& p : progs) {
      ok = ok && ll_allow(rs, p, kFsReadFile | kFsExecute, fs_all, err);
      std::string interp = elf_interpreter(p);
      if (!interp.empty()) ok = ok && ll_allow(rs, interp, kFsReadFile | kFsExecute, fs_all, err);
    }
  }
  if (!c.workdir.empty()) ok = ok && ll_allow(rs, c.workdir, fs_all & ~kFsExecute, fs_all, err);
  if (ok && abi >= 4 && c.network) {
    LlNetPort np{kNetBindTcp, 0};
    if (syscall(SYS_landlock_add_rule, rs, kLlRuleNetPort, &np, 0) != 0) {
      *err = std::string("landlock_add_rule(port 0): ") + std::strerror(errno);
      ok = false;
    }
  }
  if (ok && syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
    *err = std::string("landlock_restrict_self: ") + std::strerror(errno);
    ok = false;
  }
  ::close(rs);
  return ok;
}

// ---------------------------------------------------------------- seccomp

struct Filter {
  scmp_filter_ctx ctx;
  bool ok = true;
  std::string err;

  // Makes the syscall fail with errno `e` (when the arguments match). A
  // syscall this architecture does not have is skipped.
  void fail(const char* name, int e, unsigned argc = 0, scmp_arg_cmp a = {}) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return;
    int r = argc ? seccomp_rule_add(ctx, SCMP_ACT_ERRNO(static_cast<uint32_t>(e)), nr, 1, a)
                 : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(static_cast<uint32_t>(e)), nr, 0);
    if (r < 0 && ok) {
      ok = false;
      err = std::string("seccomp rule for ") + name + ": " + std::strerror(-r);
    }
  }
};

// The filter for a confinement. `signal_floor` > 0: Landlock cannot scope
// signals here, so signals may only go to processes made after the
// confined one (its descendants; pids below are older processes: the
// grader, its workers...).
scmp_filter_ctx build_filter(const Confinement& c, pid_t signal_floor, std::string* err) {
  Filter f{seccomp_init(SCMP_ACT_ALLOW), true, ""};
  if (!f.ctx) {
    *err = "seccomp_init failed";
    return nullptr;
  }
  // Nothing that reaches into other processes, the kernel or the machine.
  for (const char* n :
       {"process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root", "chroot", "move_mount",
        "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns", "bpf",
        "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "init_module", "finit_module",
        "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "settimeofday",
        "clock_settime", "clock_adjtime", "adjtimex", "quotactl", "quotactl_fd", "open_by_handle_at",
        "name_to_handle_at", "lookup_dcookie", "iopl", "ioperm", "syslog", "vhangup", "mknod", "mknodat",
        "setsid", "setpgid", "setrlimit", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
        "setfsuid", "setfsgid", "setgroups", "fanotify_init", "pidfd_getfd", "pidfd_send_signal",
        "execveat", "remap_file_pages", "migrate_pages", "move_pages", "mbind", "set_mempolicy", "kcmp",
        "nfsservctl", "uselib", "ustat", "sysfs", "_sysctl", "create_module", "get_kernel_syms",
        "query_module", "vserver", "process_madvise", "memfd_secret"})
    f.fail(n, EPERM);
#ifndef CONFINE_SANITIZED
  f.fail("ptrace", EPERM);  // (LeakSanitizer stops the threads with ptrace; Landlock still scopes it)
#endif
  // io_uring does I/O without the syscalls this filter sees.
  for (const char* n : {"io_uring_setup", "io_uring_enter", "io_uring_register"}) f.fail(n, ENOSYS);
  // Only querying rlimits; no new personality (no ASLR switch-off).
  f.fail("prlimit64", EPERM, 1, SCMP_A2(SCMP_CMP_NE, 0));
  f.fail("personality", EPERM, 1, SCMP_A0(SCMP_CMP_NE, 0xffffffffu));
  // No faking terminal input.
  f.fail("ioctl", EPERM, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
  f.fail("ioctl", EPERM, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
  // clone3's flags are in memory, out of a filter's sight: glibc falls back
  // to clone, whose flags are an argument.
  f.fail("clone3", ENOSYS);
  const uint64_t namespaces =
      CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
  for (uint64_t bit = 1; bit; bit <<= 1)
    if (namespaces & bit) f.fail("clone", EPERM, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit));
  if (!c.processes) {
    // Threads only (libuv's thread pool): no new process, no program.
#ifndef CONFINE_SANITIZED
    f.fail("clone", EPERM, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
#endif
    for (const char* n : {"fork", "vfork", "execve"}) f.fail(n, EPERM);
  }
  // Sockets: pairs of Unix sockets (subprocess pipes) always; with the http
  // grant, TCP and UDP over IPv4 and IPv6; nothing else (no raw or packet
  // sockets, no netlink, no Unix sockets to daemons).
  if (!c.network) {
    f.fail("socket", EACCES);
  } else {
    f.fail("socket", EACCES, 1, SCMP_A0(SCMP_CMP_LT, AF_INET));
    for (int fam = AF_INET + 1; fam < AF_INET6; fam++) f.fail("socket", EACCES, 1, SCMP_A0(SCMP_CMP_EQ, static_cast<uint64_t>(fam)));
    f.fail("socket", EACCES, 1, SCMP_A0(SCMP_CMP_GT, AF_INET6));
    for (int type : {SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_DCCP, SOCK_PACKET})
      f.fail("socket", EACCES, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, static_cast<uint64_t>(type)));
  }
  f.fail("socketpair", EACCES, 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
  if (signal_floor > 0) {
    // Negative pids (process groups, every process) and older processes.
    for (const char* n : {"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"}) {
      f.fail(n, EPERM, 1, SCMP_A0(SCMP_CMP_LT, static_cast<uint64_t>(signal_floor)));
      f.fail(n, EPERM, 1, SCMP_A0(SCMP_CMP_GT, 0x7fffffffu));
    }
  }
  if (!f.ok) {
    *err = f.err;
    seccomp_release(f.ctx);
    return nullptr;
  }
  return f.ctx;
}

// A compiled filter, kept to load in later children without compiling again.
struct CompiledFilter {
  bool network = false, processes = false;
  std::vector<sock_filter> prog;
};
std::vector<CompiledFilter> g_filters;

bool compile_filter(scmp_filter_ctx ctx, std::vector<sock_filter>* out, std::string* err) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *err = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  // A filter is a few kilobytes: the pipe holds it.
  int r = seccomp_export_bpf(ctx, fds[1]);
  ::close(fds[1]);
  std::string bytes;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) bytes.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  if (r < 0 || bytes.empty() || bytes.size() % sizeof(sock_filter) != 0) {
    *err = "seccomp_export_bpf failed";
    return false;
  }
  out->resize(bytes.size() / sizeof(sock_filter));
  std::memcpy(out->data(), bytes.data(), bytes.size());
  return true;
}

bool load_filter(const std::vector<sock_filter>& prog, std::string* err) {
  sock_fprog fp{static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) != 0) {
    *err = std::string("seccomp: ") + std::strerror(errno);
    return false;
  }
  return true;
}

// The filter for c, compiled once per kind of confinement in the process
// that forks the sandboxes (the child then only loads it).
const std::vector<sock_filter>* cached_filter(const Confinement& c, std::string* err) {
  for (const auto& f : g_filters)
    if (f.network == c.network && f.processes == c.processes) return &f.prog;
  scmp_filter_ctx ctx = build_filter(c, 0, err);
  if (!ctx) return nullptr;
  CompiledFilter cf;
  cf.network = c.network;
  cf.processes = c.processes;
  bool ok = compile_filter(ctx, &cf.prog, err);
  seccomp_release(ctx);
  if (!ok) return nullptr;
  g_filters.push_back(std::move(cf));
  return &g_filters.back().prog;
}

// ---------------------------------------------------------------- netns

bool write_file(const char* path, const std::string& s) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
  ::close(fd);
  return ok;
}

// A network namespace of its own, with loopback up (and nothing else).
bool enter_netns(bool direct, std::string* err) {
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (direct) {
    if (unshare(CLONE_NEWNET) != 0) {
      *err = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return false;
    }
  } else {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
      *err = std::string("unshare(CLONE_NEWUSER | CLONE_NEWNET): ") + std::strerror(errno);
      return false;
    }
    // Our ids stay ours inside (files in WORKDIR keep their owner).
    write_file("/proc/self/setgroups", "deny");
    if (!write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1") ||
        !write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1")) {
      *err = std::string("cannot map ids in the user namespace: ") + std::strerror(errno);
      return false;
    }
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    *err = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  bool ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    ok = ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  }
  if (!ok) *err = std::string("cannot bring up loopback: ") + std::strerror(errno);
  ::close(s);
  return ok;
}

// Whether a child can make a network namespace, and how: 1 directly, 2 in
// a user namespace, 0 not at all (why in *why).
int probe_netns(std::string* why) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *why = std::strerror(errno);
    return 0;
  }
  pid_t pid = fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    *why = std::string("fork: ") + std::strerror(errno);
    return 0;
  }
  if (pid == 0) {
    ::close(fds[0]);
    std::string e1, e2;
    std::string msg;
    if (enter_netns(true, &e1))
      msg = "1";
    else if (enter_netns(false, &e2))
      msg = "2";
    else
      msg = "0" + e1 + "; " + e2;
    if (::write(fds[1], msg.data(), msg.size()) < 0) _exit(1);
    _exit(0);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) msg.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (msg.empty()) {
    *why = "the probe died";
    return 0;
  }
  if (msg[0] == '1' || msg[0] == '2') return msg[0] - '0';
  *why = msg.substr(1);
  return 0;
}

// ---------------------------------------------------------------- capabilities

bool has_capabilities() {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2]{};
  if (syscall(SYS_capget, &h, d) != 0) return false;
  return d[0].effective || d[0].permitted || d[1].effective || d[1].permitted || d[0].inheritable ||
         d[1].inheritable;
}

bool drop_capabilities(std::string* err) {
  if (!has_capabilities()) return true;
  for (int cap = 0; cap < 64; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL) break;
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2]{};
  if (syscall(SYS_capset, &h, d) != 0) {
    *err = std::string("capset: ") + std::strerror(errno);
    return false;
  }
  return true;
}

// Tasks (threads included: RLIMIT_NPROC counts them) of our real uid.
unsigned long count_tasks() {
  unsigned long n = 0;
  uid_t uid = getuid();
  DIR* d = opendir("/proc");
  if (!d) return 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string p = std::string("/proc/") + e->d_name;
    struct stat st;
    if (stat(p.c_str(), &st) != 0 || st.st_uid != uid) continue;
    DIR* t = opendir((p + "/task").c_str());
    if (!t) continue;
    while (dirent* te = readdir(t))
      if (te->d_name[0] != '.') n++;
    closedir(t);
  }
  closedir(d);
  return n;
}

int g_netns = -1;  // probe_netns(), once
std::string g_netns_why;

int netns_mode() {
  if (g_netns < 0) g_netns = probe_netns(&g_netns_why);
  return g_netns;
}

int layer_bit_index(Layer l) {
  for (int i = 0; i < 8; i++)
    if ((1u << i) == l) return i;
  return 0;
}

}  // namespace

const char* layer_name(Layer l) {
  switch (l) {
    case kLayerRlimits: return "rlimits";
    case kLayerCapabilities: return "capabilities";
    case kLayerLandlock: return "landlock";
    case kLayerSeccomp: return "seccomp";
    case kLayerNetns: return "netns";
    case kLayerSocketCheck: return "socket-check";
    default: return "?";
  }
}

uint64_t cpu_wait_ns(int pid) {
  // Only system calls and the stack: a signal handler calls it.
  char path[64];
  if (pid == 0)
    std::memcpy(path, "/proc/self/task", sizeof "/proc/self/task");
  else
    std::snprintf(path, sizeof path, "/proc/%d/task", pid);
  int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  uint64_t total = 0;
  alignas(8) char ents[4096];
  for (;;) {
    long n = syscall(SYS_getdents64, dir, ents, sizeof ents);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* e = reinterpret_cast<struct dirent64*>(ents + off);
      off += e->d_reclen;
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      char file[300];
      size_t len = strnlen(e->d_name, sizeof file - sizeof "/schedstat");
      std::memcpy(file, e->d_name, len);
      std::memcpy(file + len, "/schedstat", sizeof "/schedstat");
      int fd = openat(dir, file, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;  // the thread has ended
      char buf[96];
      ssize_t got = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (got <= 0) continue;
      buf[got] = 0;
      // "<time on a CPU> <time waiting for one> <time slices>"
      char* p = std::strchr(buf, ' ');
      if (p) total += std::strtoull(p + 1, nullptr, 10);
    }
  }
  close(dir);
  return total;
}

const std::string& self_exe_path() {
  static const std::string exe = [] {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("luasync");
  }();
  return exe;
}

const SandboxSupport& sandbox_support() {
  static SandboxSupport s = [] {
    SandboxSupport r;
    if (const char* d = std::getenv("LUASYNC_SANDBOX_DISABLE")) {
      std::string list = d;
      size_t start = 0;
      while (start <= list.size()) {
        size_t comma = list.find(',', start);
        std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        bool found = name.empty();
        for (unsigned bit = 1; bit < kLayerAll; bit <<= 1)
          if (name == layer_name(static_cast<Layer>(bit))) {
            r.disabled |= bit;
            found = true;
          }
        if (!found) r.unknown += (r.unknown.empty() ? "" : ", ") + name;
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    r.root = geteuid() == 0;
    r.usable = kLayerAll & ~r.disabled;
    r.landlock_abi = ll_abi();
    if (r.landlock_abi == 0) {
      r.usable &= ~kLayerLandlock;
      r.why[layer_bit_index(kLayerLandlock)] =
          errno == ENOSYS ? "the kernel has no Landlock (Linux 5.13 or later, with CONFIG_SECURITY_LANDLOCK)"
          : errno == EOPNOTSUPP ? "Landlock is not enabled at boot (lsm= does not list it)"
                                : std::string("landlock_create_ruleset: ") + std::strerror(errno);
    }
    if (seccomp_api_get() < 1 || prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
      r.usable &= ~kLayerSeccomp;
      r.why[layer_bit_index(kLayerSeccomp)] = "the kernel does not offer seccomp filters";
    }
    return r;
  }();
  return s;
}

namespace {
// Netns support is found by trying it in a child: only when first needed.
bool netns_usable(std::string* why) {
  const SandboxSupport& s = sandbox_support();
  if (!(s.usable & kLayerNetns)) {
    *why = "disabled";
    return false;
  }
  if (netns_mode() == 0) {
    *why = g_netns_why;
    return false;
  }
  return true;
}
}  // namespace

std::vector<std::string> sandbox_warnings() {
  const SandboxSupport& s = sandbox_support();
  std::vector<std::string> out;
  if (!s.unknown.empty())
    out.push_back("LUASYNC_SANDBOX_DISABLE names no layer '" + s.unknown +
                  "' (layers: rlimits, capabilities, landlock, seccomp, netns, socket-check)");
  for (unsigned bit = 1; bit < kLayerAll; bit <<= 1) {
    Layer l = static_cast<Layer>(bit);
    std::string why;
    if (s.disabled & bit) {
      out.push_back(std::string("sandbox layer ") + layer_name(l) + " is turned off (LUASYNC_SANDBOX_DISABLE)");
    } else if (l == kLayerNetns) {
      if (!netns_usable(&why))
        out.push_back("no network namespace here (" + why +
                      "): exercises with the http grant are kept to loopback by the socket check and seccomp "
                      "only (see luasync grade --check-sandbox)");
    } else if (!(s.usable & bit)) {
      out.push_back(std::string("sandbox layer ") + layer_name(l) + " is unavailable here (" +
                    s.why[layer_bit_index(l)] + "): see luasync grade --check-sandbox");
    }
  }
  if ((s.usable & kLayerLandlock) && s.landlock_abi < 6)
    out.push_back("Landlock ABI " + std::to_string(s.landlock_abi) +
                  " cannot scope signals (ABI 6, Linux 6.12): a sandbox may signal processes made after it");
  return out;
}

namespace {
unsigned long g_tasks = 0;  // count_tasks() in confine_prepare
}  // namespace

void confine_prepare(const Confinement& c) {
  const SandboxSupport& s = sandbox_support();
  std::string ignored;
  if ((s.usable & kLayerSeccomp) && (s.usable & kLayerLandlock) && s.landlock_abi >= 6) cached_filter(c, &ignored);
  if (c.network && (s.usable & kLayerNetns)) netns_mode();
  if (c.processes && !s.root && g_tasks == 0) g_tasks = count_tasks();
}

bool confine(const Confinement& c, std::string* err) {
  const SandboxSupport& s = sandbox_support();
  pid_t parent = c.parent ? c.parent : getppid();
  if (c.new_group && setpgid(0, 0) != 0) {
    *err = std::string("setpgid: ") + std::strerror(errno);
    return false;
  }
  // Never outlive the process that started it.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != parent) _exit(0);

  if (c.network && (s.usable & kLayerNetns) && netns_mode() != 0 && !enter_netns(netns_mode() == 1, err))
    return false;

  if (s.usable & kLayerRlimits) {
    auto set = [&](int res, rlim_t soft, rlim_t hard, const char* name) {
      struct rlimit old;
      if (getrlimit(res, &old) == 0 && old.rlim_max != RLIM_INFINITY) {
        hard = std::min(hard, old.rlim_max);
        soft = std::min(soft, hard);
      }
      struct rlimit rl{soft, hard};
      if (setrlimit(res, &rl) != 0 && errno != EPERM) {  // EPERM: already confined (learn exec in a sandbox)
        *err = std::string("setrlimit(") + name + "): " + std::strerror(errno);
        return false;
      }
      return true;
    };
    bool ok = set(RLIMIT_CORE, 0, 0, "CORE") && set(RLIMIT_NOFILE, 256, 256, "NOFILE");
    ok = ok && set(RLIMIT_FSIZE, c.file_size, c.file_size, "FSIZE");
    if (c.file_size != RLIM_INFINITY) std::signal(SIGXFSZ, SIG_IGN);  // a write fails with EFBIG instead
    if (c.cpu_seconds > 0) {
      auto cpu = static_cast<rlim_t>(std::ceil(c.cpu_seconds));
      ok = ok && set(RLIMIT_CPU, cpu, cpu + 1, "CPU");
    }
    if (c.processes && !s.root) {
      if (g_tasks == 0) g_tasks = count_tasks();
      ok = ok && set(RLIMIT_NPROC, g_tasks + 512, g_tasks + 512, "NPROC");
    }
    if (!ok) return false;
  }
  if ((s.usable & kLayerCapabilities) && !drop_capabilities(err)) return false;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    *err = std::string("no_new_privs: ") + std::strerror(errno);
    return false;
  }
  bool landlock = s.usable & kLayerLandlock;
  if (landlock && !apply_landlock(c, s.landlock_abi, err)) return false;
  if (s.usable & kLayerSeccomp) {
    if (landlock && s.landlock_abi >= 6) {
      const std::vector<sock_filter>* prog = cached_filter(c, err);
      if (!prog || !load_filter(*prog, err)) return false;
    } else {
      // Signals can only be kept to younger processes, by pid: a filter
      // of its own (compiled here, in the child).
      scmp_filter_ctx ctx = build_filter(c, getpid(), err);
      if (!ctx) return false;
      int r = seccomp_load(ctx);
      seccomp_release(ctx);
      if (r < 0) {
        *err = std::string("seccomp_load: ") + std::strerror(-r);
        return false;
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------- --check-sandbox

namespace {

// What a confined child managed to do, one line per attempt: "name ok" or
// "name failed: why", where "ok" means the layer stopped it.
std::string self_test(const Confinement& c, int port) {
  std::string out;
  auto note = [&](const char* what, bool held, const std::string& detail) {
    out += std::string(what) + (held ? " stopped" : " NOT STOPPED") + (detail.empty() ? "" : ": " + detail) + "\n";
  };
  // Writing outside WORKDIR.
  std::string outside = dir_of(c.workdir) + "/luasync-check-sandbox-outside";
  int fd = ::open(outside.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  note("write outside WORKDIR", fd < 0, fd < 0 ? std::strerror(errno) : "created " + outside);
  if (fd >= 0) {
    ::close(fd);
    ::unlink(outside.c_str());
  }
  std::string inside = c.workdir + "/ok";
  fd = ::open(inside.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  out += std::string("write inside WORKDIR ") + (fd >= 0 ? "allowed" : "REFUSED: ") + (fd >= 0 ? "" : std::strerror(errno)) + "\n";
  if (fd >= 0) ::close(fd);
  errno = 0;
  long r = syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0);
  note("ptrace the grader", r != 0, r != 0 ? std::strerror(errno) : "attached");
  r = kill(getppid(), 0);
  note("signal the grader", r != 0, r != 0 ? std::strerror(errno) : "delivered");
  int s = socket(AF_PACKET, SOCK_RAW, 0);
  note("raw packet socket", s < 0, s < 0 ? std::strerror(errno) : "opened");
  if (s >= 0) ::close(s);
  r = unshare(CLONE_NEWNS);
  note("new mount namespace", r != 0, r != 0 ? std::strerror(errno) : "made");
  if (port > 0) {
    // A server of the machine's loopback that no check started (the socket
    // check, in the I/O layer, is not in this path: this is native code).
    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r = s < 0 ? -1 : connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    note("connect to a server outside", r != 0, r != 0 ? std::strerror(errno) : "connected");
    if (s >= 0) ::close(s);
  }
  return out;
}

}  // namespace

int check_sandbox_main() {
  const SandboxSupport& s = sandbox_support();
  struct utsname u{};
  uname(&u);
  std::printf("luasync sandbox on this machine (Linux %s, running as %s%s)\n\n", u.release,
              s.root ? "root" : ("uid " + std::to_string(getuid())).c_str(),
              access("/.dockerenv", F_OK) == 0 ? ", in a Docker container" : "");
  auto line = [](const char* name, const std::string& state) { std::printf("  %-16s %s\n", name, state.c_str()); };
  line("lua sandbox", "active (always): fresh environment per run, budgets, grants");
  line("process group", "active (always): each sandbox in its own group, killed as a whole; parent-death signal");
  auto state = [&](Layer l, const std::string& active) {
    if (s.disabled & l) return std::string("OFF (LUASYNC_SANDBOX_DISABLE)");
    if (!(s.usable & l)) return "UNAVAILABLE: " + s.why[layer_bit_index(l)];
    return "active: " + active;
  };
  line("rlimits", state(kLayerRlimits, std::string("core 0, files 256, file size (fs quota), CPU") +
                                           (s.root ? "; NPROC is not enforced for root (seccomp keeps "
                                                     "exercises without the subprocess grant from forking)"
                                                   : ", processes")));
  line("capabilities", state(kLayerCapabilities, has_capabilities() ? "all dropped in each sandbox"
                                                                     : "none held (nothing to drop)"));
  line("no_new_privs", "active (always)");
  std::string ll = "ABI " + std::to_string(s.landlock_abi) + ": reads from system directories only, writes in WORKDIR only";
  if (s.landlock_abi >= 4) ll += ", TCP bind/connect";
  if (s.landlock_abi >= 6) ll += ", signals and abstract sockets scoped";
  line("landlock", state(kLayerLandlock, ll));
  line("seccomp", state(kLayerSeccomp, std::string("libseccomp ") + std::to_string(seccomp_version()->major) + "." +
                                           std::to_string(seccomp_version()->minor) + "." +
                                           std::to_string(seccomp_version()->micro)));
  std::string why;
  if (s.disabled & kLayerNetns)
    line("netns", "OFF (LUASYNC_SANDBOX_DISABLE)");
  else if (!netns_usable(&why))
    line("netns", "UNAVAILABLE: " + why);
  else
    line("netns", std::string("active: http exercises get a network namespace with loopback only (") +
                      (netns_mode() == 1 ? "directly" : "in a user namespace") + ")");
  line("socket-check", state(kLayerSocketCheck, "TCP only to loopback servers the check started"));

  // Try it: a child confined as an exercise with every grant.
  char tmpl[] = "/tmp/luasync-check-sandbox-XXXXXX";
  std::string report;
  // A listener on loopback, outside the sandbox, for the child to try.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int port = 0;
  if (listener >= 0) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(listener, 4) == 0 &&
        getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
  }
  if (mkdtemp(tmpl)) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == 0) {
      pid_t pid = fork();
      if (pid == 0) {
        ::close(fds[0]);
        Confinement c;
        c.network = c.processes = true;
        c.workdir = tmpl;
        c.file_size = 64u << 20;
        std::string err, msg;
        if (!confine(c, &err))
          msg = "confine FAILED: " + err + "\n";
        else
          msg = self_test(c, port);
        if (::write(fds[1], msg.data(), msg.size()) < 0) _exit(1);
        _exit(0);
      }
      ::close(fds[1]);
      char buf[1024];
      ssize_t n;
      while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) report.append(buf, static_cast<size_t>(n));
      ::close(fds[0]);
      if (pid > 0)
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    if (listener >= 0) ::close(listener);
    std::string ok = std::string(tmpl) + "/ok";
    ::unlink(ok.c_str());
    ::rmdir(tmpl);
  }
  std::printf("\ntried in a confined child (an exercise with every grant):\n");
  size_t start = 0;
  while (start < report.size()) {
    size_t nl = report.find('\n', start);
    std::printf("  %s\n", report.substr(start, nl - start).c_str());
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  auto warnings = sandbox_warnings();
  if (!warnings.empty()) std::printf("\n");
  for (const auto& w : warnings) std::printf("warning: %s\n", w.c_str());
  return 0;
}

}  // namespace luasync::learn
