#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "strata_spawn.h"

#include <sched.h>
#include <sys/mount.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <poll.h>
#include <time.h>
#include "strata_signals.h"
#include <linux/capability.h>
#include <linux/close_range.h>

/// Reports the failed step to the waiting caller and ends this process.
/// Everything here is async-signal-safe.
static void fail(int report_fd, strata_spawn_step step) {
    strata_spawn_failure failure = { step, errno };
    ssize_t ignored = write(report_fd, &failure, sizeof failure);
    (void)ignored;
    _exit(127);
}

static int exit_status_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 127;
}

/// Dies with the parent; returns -1 when the parent is already gone.
static int die_with_parent(pid_t expected_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return -1;
    if (expected_parent > 0 && getppid() != expected_parent) {
        errno = ESRCH;
        return -1;
    }
    return 0;
}

static int bring_up_loopback(void) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    int result = ioctl(sock, SIOCGIFFLAGS, &request);
    if (result == 0) {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        result = ioctl(sock, SIOCSIFFLAGS, &request);
    }
    int saved = errno;
    close(sock);
    errno = saved;
    return result;
}

static void reset_signals(void) {
    struct sigaction defaults;
    memset(&defaults, 0, sizeof defaults);
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &defaults, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int move_fd(int from, int to) {
    if (from < 0 || from == to) return 0;
    return dup2(from, to) < 0 ? -1 : 0;
}

/// The capabilities a command running as root inside the root keeps: what
/// package managers need to install files and switch users (the set container
/// runtimes give by default). Not CAP_SYS_ADMIN (no mounts, no pivot back out),
/// CAP_DAC_READ_SEARCH (no open_by_handle_at into the host's file systems),
/// CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_PTRACE, CAP_SYS_TIME, CAP_SYS_BOOT...
static int kept_capability(int cap) {
    switch (cap) {
    case CAP_CHOWN: case CAP_DAC_OVERRIDE: case CAP_FOWNER: case CAP_FSETID: case CAP_KILL:
    case CAP_SETGID: case CAP_SETUID: case CAP_SETPCAP: case CAP_NET_BIND_SERVICE: case CAP_NET_RAW:
    case CAP_SYS_CHROOT: case CAP_MKNOD: case CAP_AUDIT_WRITE: case CAP_SETFCAP:
        return 1;
    default:
        return 0;
    }
}

/// Drops from the bounding set every capability a root command does not
/// keep (all of them for a command that drops to the build user, so that no
/// file capability can give one back), clears the ambient set, and limits
/// the permitted, effective and inheritable sets of a root command to the
/// kept ones.
static int limit_capabilities(int unprivileged) {
    for (int cap = 0; cap < 64; cap++) {
        if (!unprivileged && kept_capability(cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
            if (errno == EINVAL) break;  // past the kernel's last capability
            return -1;
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    if (unprivileged) return 0;  // setuid to the build user clears the rest
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    for (int cap = 0; cap < 64; cap++) {
        if (!kept_capability(cap)) continue;
        data[cap / 32].effective |= 1u << (cap % 32);
        data[cap / 32].permitted |= 1u << (cap % 32);
        data[cap / 32].inheritable |= 1u << (cap % 32);
    }
    return (int)syscall(SYS_capset, &header, data);
}

/// The command itself: limits capabilities, drops to the build user, sets
/// no_new_privs (so that no setuid binary or file capability in the root
/// raises it again), wires stdio, execs.
static void run_command(const strata_spawn_request *request, int report_fd) {
    reset_signals();
    if (limit_capabilities(request->change_ids) != 0) fail(report_fd, STRATA_STEP_CAPABILITIES);
    if (request->change_ids) {
        if (setgroups(0, NULL) != 0 || setgid(request->gid) != 0 || setuid(request->uid) != 0) {
            fail(report_fd, STRATA_STEP_DROP_PRIVILEGES);
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(report_fd, STRATA_STEP_NO_NEW_PRIVS);
    if (move_fd(request->stdin_fd, 0) != 0 || move_fd(request->stdout_fd, 1) != 0
        || move_fd(request->stderr_fd, 2) != 0) {
        fail(report_fd, STRATA_STEP_STDIO);
    }
    // Nothing of strata's (locks, pipes) leaks into the build: every other
    // descriptor closes at exec, the report pipe included.
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(request->argv[0], (char *const *)request->argv, (char *const *)request->envp);
    fail(report_fd, STRATA_STEP_EXEC);
}

/// Makes `root` the root of this mount namespace: bound onto itself (a
/// mount point, as pivot_root needs), pivoted into, and the old root
/// detached, so that no path, descriptor trick or chroot("..") leads back
/// to the host's file system. The namespace's mounts are private first, so
/// that nothing done here reaches strata's.
static int enter_root(const char *root) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0) return -1;
    if (chdir(root) != 0) return -1;
    if (syscall(SYS_pivot_root, ".", ".") != 0) return -1;
    if (umount2(".", MNT_DETACH) != 0) return -1;
    return chdir("/");
}

/// sysfs, read-only. A user namespace may mount one only with a network
/// namespace of its own; sharing the host's network, it gets the host's
/// /sys bound read-only instead.
static int mount_sysfs(const char *target) {
    unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (mount("sysfs", target, "sysfs", flags, NULL) == 0) return 0;
    if (errno != EPERM) return -1;
    if (mount("/sys", target, NULL, MS_BIND | MS_REC, NULL) != 0) return -1;
    return mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | flags, NULL);
}

/// Enters the user namespace `fd` as its root: no supplementary groups, uid
/// and gid 0 there (an unprivileged range on the host).
static int enter_user_namespace(int fd) {
    if (setns(fd, CLONE_NEWUSER) != 0) return -1;
    if (setgroups(0, NULL) != 0) return -1;
    if (setresgid(0, 0, 0) != 0) return -1;
    return setresuid(0, 0, 0);
}

/// pid 1 of the new PID namespace: prepares the root, starts the command,
/// reaps every orphan until the command exits, and exits with its status.
static void run_init(const strata_spawn_request *request, int report_fd) {
    if (die_with_parent(0) != 0) fail(report_fd, STRATA_STEP_PARENT_DEATH_SIGNAL);
    if (request->proc_path != NULL
        && mount("proc", request->proc_path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
        fail(report_fd, STRATA_STEP_MOUNT_PROC);
    }
    if (request->sysfs_path != NULL && mount_sysfs(request->sysfs_path) != 0) {
        fail(report_fd, STRATA_STEP_MOUNT_SYSFS);
    }
    if (request->isolate_network && bring_up_loopback() != 0) fail(report_fd, STRATA_STEP_LOOPBACK);
    if (request->hostname != NULL && sethostname(request->hostname, strlen(request->hostname)) != 0) {
        fail(report_fd, STRATA_STEP_HOSTNAME);
    }
    if (request->root != NULL && enter_root(request->root) != 0) fail(report_fd, STRATA_STEP_PIVOT_ROOT);
    if (chdir(request->workdir != NULL ? request->workdir : "/") != 0) fail(report_fd, STRATA_STEP_CHDIR);

    pid_t command = fork();
    if (command < 0) fail(report_fd, STRATA_STEP_FORK_COMMAND);
    if (command == 0) run_command(request, report_fd);
    close(report_fd);

    int command_status = 127;
    for (;;) {
        int status;
        pid_t reaped = waitpid(-1, &status, 0);
        if (reaped < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (reaped == command) {
            command_status = exit_status_of(status);
            break;
        }
    }
    _exit(command_status);
}

/// Closes every descriptor from 3 up but those in `keep` (negative entries
/// ignored): the supervisor and init never exec, so strata's other
/// descriptors (the far end of a pipe the command reads) would otherwise
/// stay open as long as the command runs.
static void close_descriptors_except(int *keep, int count) {
    for (int i = 1; i < count; i++) {
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int swap = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = swap;
        }
    }
    unsigned int next = 3;
    for (int i = 0; i < count; i++) {
        if (keep[i] < (int)next) continue;
        if (keep[i] > (int)next) syscall(SYS_close_range, next, (unsigned int)keep[i] - 1, 0);
        next = (unsigned int)keep[i] + 1;
    }
    syscall(SYS_close_range, next, ~0U, 0);
}

/// Between strata and init: leaves strata's namespaces, then waits for init.
static void run_supervisor(const strata_spawn_request *request, int report_fd, pid_t strata) {
    int keep[] = { report_fd, request->stdin_fd, request->stdout_fd, request->stderr_fd, request->userns_fd };
    close_descriptors_except(keep, (int)(sizeof keep / sizeof keep[0]));
    if (die_with_parent(strata) != 0) fail(report_fd, STRATA_STEP_PARENT_DEATH_SIGNAL);
    if (request->userns_fd >= 0 && enter_user_namespace(request->userns_fd) != 0) {
        fail(report_fd, STRATA_STEP_USER_NAMESPACE);
    }
    // Changing uid cleared the death signal; set it again.
    if (request->userns_fd >= 0 && die_with_parent(strata) != 0) fail(report_fd, STRATA_STEP_PARENT_DEATH_SIGNAL);
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
    if (request->isolate_network) flags |= CLONE_NEWNET;
    if (unshare(flags) != 0) fail(report_fd, STRATA_STEP_UNSHARE);

    pid_t init = fork();
    if (init < 0) fail(report_fd, STRATA_STEP_FORK_INIT);
    if (init == 0) run_init(request, report_fd);
    close(report_fd);

    int status = 0;
    while (waitpid(init, &status, 0) < 0) {
        if (errno != EINTR) _exit(127);
    }
    _exit(exit_status_of(status));
}

pid_t strata_spawn(const strata_spawn_request *request, strata_spawn_failure *failure) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        failure->step = STRATA_STEP_PIPE;
        failure->error = errno;
        return -1;
    }
    pid_t strata = getpid();
    pid_t supervisor = fork();
    if (supervisor < 0) {
        failure->step = STRATA_STEP_FORK_SUPERVISOR;
        failure->error = errno;
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (supervisor == 0) {
        close(report[0]);
        run_supervisor(request, report[1], strata);
    }
    close(report[1]);

    // EOF without a report means the command was exec'd.
    strata_spawn_failure reported = { STRATA_STEP_NONE, 0 };
    ssize_t got;
    do {
        got = read(report[0], &reported, sizeof reported);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof reported) {
        int ignored;
        strata_wait(supervisor, &ignored);
        *failure = reported;
        return -1;
    }
    return supervisor;
}

int strata_wait(pid_t pid, int *exit_status) {
    int status;
    for (;;) {
        if (waitpid(pid, &status, 0) >= 0) break;
        if (errno != EINTR) return -1;
    }
    *exit_status = exit_status_of(status);
    return 0;
}

int strata_wait_timeout(pid_t pid, long timeout_ms, int *exit_status) {
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) return -1;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        long left = timeout_ms - elapsed;
        if (left < 0) left = 0;
        struct pollfd ready = {.fd = pidfd, .events = POLLIN};
        int count = poll(&ready, 1, (int)(left > 2000000000L ? 2000000000L : left));
        if (count > 0) break;
        if (count == 0 && left == 0) {
            close(pidfd);
            return 1;
        }
        if (count < 0 && (errno != EINTR || strata_termination_signal() != 0)) {
            int saved = errno;
            close(pidfd);
            errno = saved;
            return -1;
        }
    }
    close(pidfd);
    return strata_wait(pid, exit_status);
}

int strata_enter_private_mount_namespace(void) {
    if (unshare(CLONE_NEWNS) != 0) return -1;
    return mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
}
