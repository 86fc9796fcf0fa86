// confine.h: the operating-system layers of the lesson sandbox, under the
// Lua one (checker.lua): what a sandbox child (sandbox.h) and `luasync learn
// exec` do to themselves before any learner code runs, so that code that
// slips past the Lua sandbox (native code, a bug of ours) still cannot reach
// outside. docs/grading.md ("Threat model") says what each layer promises.
//
// The layers, in the order a child applies them:
//   process group   its own, killed as a whole when the exercise ends (the
//                   parent does that, runner.cpp); the parent-death signal,
//                   so it never outlives the process that started it
//   netns           http grant only: a network namespace of its own, where
//                   only loopback exists (directly when running with
//                   CAP_SYS_ADMIN, else inside a new user namespace)
//   rlimits         no core dumps; NOFILE; FSIZE (the fs quota, 0 without
//                   the fs grant); NPROC (not enforced for root); CPU as a
//                   backstop for C loops
//   capabilities    all dropped (when it has any: running as root, or in
//                   the user namespace of the netns)
//   no_new_privs    (needed by the two below)
//   landlock        reads only from the system's directories, writes only
//                   in the fs grant's WORKDIR, execution only of the
//                   programs the exercise may start; TCP (ABI >= 4): no
//                   bind or connect without the http grant, bind only to an
//                   ephemeral port with it; (ABI >= 6) no signals to, and no
//                   abstract sockets of, processes outside the sandbox
//   seccomp         (libseccomp) no ptrace, mount, namespaces, kernel
//                   modules, keyrings, bpf, io_uring, raw or packet
//                   sockets; no sockets at all without the http grant; no
//                   new processes or programs without the subprocess grant;
//                   no changing its process group, rlimits or ids
// Above them all, in the process: the socket check (sandbox.cpp, through
// Runtime::net_policy): TCP only to loopback servers this check started.
//
// Each optional layer can be turned off for tests with
// LUASYNC_SANDBOX_DISABLE=landlock,seccomp,... (names below), to prove the
// others hold without it; `luasync grade` then says so on stderr.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace luasync::learn {

enum Layer : unsigned {
  kLayerRlimits = 1u << 0,
  kLayerCapabilities = 1u << 1,
  kLayerLandlock = 1u << 2,
  kLayerSeccomp = 1u << 3,
  kLayerNetns = 1u << 4,
  kLayerSocketCheck = 1u << 5,
  kLayerAll = (1u << 6) - 1,
};

// The layer's name in LUASYNC_SANDBOX_DISABLE and --check-sandbox.
const char* layer_name(Layer l);

// What a confined process may do (the exercise's grants).
struct Confinement {
  bool network = false;    // the http grant
  bool processes = false;  // the subprocess grant
  std::string workdir;     // the fs grant's WORKDIR ("": no writes anywhere)
  // Programs that may be executed (absolute paths; with `processes`). The
  // luasync binary is always one of them.
  std::vector<std::string> programs;
  double cpu_seconds = 0;  // RLIMIT_CPU (0: not set)
  // RLIMIT_FSIZE: the fs quota with a WORKDIR, else 0 (a sandbox child's
  // output goes to pipes); `learn exec`, whose stdout may be a file, none.
  size_t file_size = 0;
  bool new_group = true;   // its own process group (not for `learn exec`)
  int parent = 0;          // the pid that forked it (0: whatever getppid() is on entry)
};

// What this machine offers, found once per process (sandbox_support()).
struct SandboxSupport {
  unsigned disabled = 0;    // LUASYNC_SANDBOX_DISABLE
  unsigned usable = 0;      // layers that work here and are not disabled
  int landlock_abi = 0;     // 0: no Landlock
  bool netns_direct = false;  // unshare(CLONE_NEWNET) works as we are
  bool root = false;        // euid 0 (RLIMIT_NPROC is not enforced)
  unsigned long nproc = 0;  // processes of our uid when probed (for RLIMIT_NPROC)
  std::string why[8];       // per layer bit: why it is unavailable
  std::string unknown;      // names in LUASYNC_SANDBOX_DISABLE that are not layers
};
const SandboxSupport& sandbox_support();

// One warning line per layer that is unavailable or disabled (empty when
// every layer is active), for `luasync grade`'s stderr.
std::vector<std::string> sandbox_warnings();

// In the process that forks sandboxes, before forking one for c: does the
// work every child would repeat (the seccomp filter compiled, the network
// namespace probed, the processes of our uid counted).
void confine_prepare(const Confinement& c);

// In a process about to run learner code: applies the usable layers. Returns
// false with a message if one that should work failed (the caller must not
// go on: fail closed).
bool confine(const Confinement& c, std::string* err);

// Nanoseconds the threads of process pid (0: this one) have spent runnable
// but waiting for a CPU (the second field of /proc/PID/task/*/schedstat), or
// 0 when the kernel does not say. A real-time backstop moves later by it, so
// that a process starved of CPU on a busy machine is not taken for one that
// waits forever. Async-signal-safe (no allocation).
uint64_t cpu_wait_ns(int pid);

// The luasync binary (/proc/self/exe, resolved once).
const std::string& self_exe_path();

// `luasync grade --check-sandbox`: tries every layer in a child process and
// prints what is active on this machine. Returns the exit status.
int check_sandbox_main();

}  // namespace luasync::learn
