#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "strata_userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int saved = errno;
    close(fd);
    if (written != (ssize_t)length) {
        errno = written < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

static int reap(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

/// Two close-on-exec pipes, then fork(): returns the child's pid (0 in the
/// child), or -1 with errno and nothing left open.
static pid_t fork_with_pipes(int first[2], int second[2]) {
    if (pipe2(first, O_CLOEXEC) != 0) return -1;
    if (pipe2(second, O_CLOEXEC) != 0) {
        int saved = errno;
        close(first[0]); close(first[1]);
        errno = saved;
        return -1;
    }
    pid_t child = fork();
    if (child < 0) {
        int saved = errno;
        close(first[0]); close(first[1]); close(second[0]); close(second[1]);
        errno = saved;
    }
    return child;
}

int strata_create_user_namespace(const char *uid_map, const char *gid_map) {
    int ready[2];
    int release[2];
    pid_t child = fork_with_pipes(ready, release);
    if (child < 0) return -1;
    if (child == 0) {
        // Async-signal-safe only: the parent may have many threads.
        close(ready[0]);
        close(release[1]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        char result = unshare(CLONE_NEWUSER) == 0 ? 0 : (char)errno;
        ssize_t ignored = write(ready[1], &result, 1);
        (void)ignored;
        char wait_byte;
        ignored = read(release[0], &wait_byte, 1);
        _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    char result = 1;
    ssize_t got;
    do { got = read(ready[0], &result, 1); } while (got < 0 && errno == EINTR);
    close(ready[0]);
    int fd = -1;
    int saved = 0;
    if (got != 1) {
        saved = EIO;
    } else if (result != 0) {
        saved = result;
    } else {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)child);
        if (write_file(path, uid_map) != 0) saved = errno;
        if (saved == 0) {
            snprintf(path, sizeof path, "/proc/%d/gid_map", (int)child);
            if (write_file(path, gid_map) != 0) saved = errno;
        }
        if (saved == 0) {
            snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
            fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) saved = errno;
        }
    }
    close(release[1]);
    reap(child);
    errno = saved;
    return saved == 0 ? fd : -1;
}

/// Runs argv (an absolute path first) and returns its wait status, or -1.
static int run_helper(const char *const *argv) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return reap(pid);
}

int strata_enter_user_namespace(const char *const *uidmap_argv, const char *const *gidmap_argv, int *helper_status) {
    *helper_status = 0;
    int go[2];
    int done[2];
    pid_t helper = fork_with_pipes(go, done);
    if (helper < 0) return -1;
    if (helper == 0) {
        // Stays in the parent's user namespace and maps the parent's new one.
        close(go[1]);
        close(done[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        char byte;
        ssize_t got;
        do { got = read(go[0], &byte, 1); } while (got < 0 && errno == EINTR);
        int status = got == 1 ? run_helper(uidmap_argv) : -1;
        if (status == 0) status = run_helper(gidmap_argv);
        ssize_t ignored = write(done[1], &status, sizeof status);
        (void)ignored;
        _exit(0);
    }
    close(go[0]);
    close(done[1]);
    int saved = 0;
    if (unshare(CLONE_NEWUSER) != 0) saved = errno;
    if (saved == 0) {
        char byte = 1;
        if (write(go[1], &byte, 1) != 1) saved = errno;
    }
    close(go[1]);
    int status = -1;
    if (saved == 0) {
        ssize_t got;
        do { got = read(done[0], &status, sizeof status); } while (got < 0 && errno == EINTR);
        if (got != (ssize_t)sizeof status) status = -1;
        if (status != 0) {
            *helper_status = status;
            saved = EPERM;
        }
    }
    close(done[0]);
    reap(helper);
    if (saved == 0 && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)) saved = errno;
    errno = saved;
    return saved == 0 ? 0 : -1;
}

int strata_act_as(uid_t uid, gid_t gid) {
    setfsgid(gid);
    setfsuid(uid);
    if ((uid_t)setfsuid((uid_t)-1) != uid || (gid_t)setfsgid((gid_t)-1) != gid) {
        errno = EPERM;
        return -1;
    }
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    data[0].effective = data[0].permitted;
    data[1].effective = data[1].permitted;
    return (int)syscall(SYS_capset, &header, data);
}

unsigned long long strata_mount_namespace_id(void) {
    struct stat status;
    if (stat("/proc/self/ns/mnt", &status) != 0) return 0;
    return (unsigned long long)status.st_ino;
}

int strata_join_namespaces(pid_t pid, unsigned long long expected_mount_namespace) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    int user = open(path, O_RDONLY | O_CLOEXEC);
    if (user < 0) return -1;
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
    int mount = open(path, O_RDONLY | O_CLOEXEC);
    if (mount < 0) {
        int saved = errno;
        close(user);
        errno = saved;
        return -1;
    }
    int result = -1;
    struct stat theirs, ours, namespace;
    if (fstat(mount, &namespace) != 0) goto done;
    if ((unsigned long long)namespace.st_ino != expected_mount_namespace) {
        errno = ESRCH;
        goto done;
    }
    if (fstat(user, &theirs) != 0 || stat("/proc/self/ns/user", &ours) != 0) goto done;
    if ((theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) && setns(user, CLONE_NEWUSER) != 0) goto done;
    if (setns(mount, CLONE_NEWNS) != 0) goto done;
    result = 0;
done:;
    int saved = errno;
    close(user);
    close(mount);
    errno = saved;
    return result;
}
