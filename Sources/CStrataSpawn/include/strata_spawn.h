// The child-process path that Swift cannot take safely: after fork() a
// multithreaded process may only make async-signal-safe calls, so everything
// between fork and exec lives here, in C, with every string prepared by the
// caller beforehand.
#ifndef STRATA_SPAWN_H
#define STRATA_SPAWN_H

#include <sys/types.h>

/// What one isolated child should be. Every pointer stays owned by the caller.
typedef struct strata_spawn_request {
    /// Directory to make the root (pivot_root, the old root detached), or NULL to stay in the host root.
    const char *root;
    /// Directory to change into once in the root; NULL means "/".
    const char *workdir;
    /// NULL-terminated; argv[0] is an absolute path inside the root.
    const char *const *argv;
    /// NULL-terminated environment of the command.
    const char *const *envp;
    /// Descriptors for the command's standard streams; -1 inherits strata's.
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// Non-zero: a new, empty network namespace with only the loopback up.
    int isolate_network;
    /// Host path of <root>/proc, where a proc for the new PID namespace is mounted; NULL: none.
    const char *proc_path;
    /// Host path of <root>/sys, where sysfs is mounted read-only; NULL: none.
    const char *sysfs_path;
    /// Non-zero: drop to uid/gid (and no supplementary groups) before exec.
    int change_ids;
    uid_t uid;
    gid_t gid;
    /// Host name inside the new UTS namespace; NULL keeps the host's.
    const char *hostname;
    /// A user namespace to enter (setns) before the others are made, as its
    /// uid 0 and gid 0; -1: stay in strata's.
    int userns_fd;
} strata_spawn_request;

/// The step at which starting the child failed.
typedef enum strata_spawn_step {
    STRATA_STEP_NONE = 0,
    STRATA_STEP_PIPE,
    STRATA_STEP_FORK_SUPERVISOR,
    STRATA_STEP_PARENT_DEATH_SIGNAL,
    STRATA_STEP_USER_NAMESPACE,
    STRATA_STEP_UNSHARE,
    STRATA_STEP_FORK_INIT,
    STRATA_STEP_MOUNT_PROC,
    STRATA_STEP_MOUNT_SYSFS,
    STRATA_STEP_LOOPBACK,
    STRATA_STEP_HOSTNAME,
    STRATA_STEP_PIVOT_ROOT,
    STRATA_STEP_CHDIR,
    STRATA_STEP_FORK_COMMAND,
    STRATA_STEP_DROP_PRIVILEGES,
    STRATA_STEP_CAPABILITIES,
    STRATA_STEP_NO_NEW_PRIVS,
    STRATA_STEP_STDIO,
    STRATA_STEP_EXEC,
} strata_spawn_step;

typedef struct strata_spawn_failure {
    strata_spawn_step step;
    int error;
} strata_spawn_failure;

/// Starts the command in new mount, PID, UTS and IPC namespaces (and a network
/// namespace on request). Returns the pid of the supervising process, whose
/// exit status is the command's, or -1 with *failure filled in. Returns only
/// after the command was exec'd or failed to start.
///
/// Process tree: caller -> supervisor (unshares, waits) -> init (pid 1: mounts
/// proc and sysfs, pivots into the root and detaches the old one, reaps) ->
/// command (limits its capabilities, sets no_new_privs, drops to the build
/// user when asked, execs). Each of supervisor and init dies
/// with its parent (PR_SET_PDEATHSIG), and when init exits the kernel ends every
/// process left in the PID namespace.
pid_t strata_spawn(const strata_spawn_request *request, strata_spawn_failure *failure);

/// Waits for a pid, retrying on EINTR. On success returns 0 and sets
/// *exit_status to the exit code, or 128 + signal number when it was killed.
int strata_wait(pid_t pid, int *exit_status);

/// As strata_wait, for at most `timeout_ms` milliseconds: returns 1 when the
/// process is still running then (it is left running), and -1 with EINTR
/// when SIGINT or SIGTERM arrived meanwhile.
int strata_wait_timeout(pid_t pid, long timeout_ms, int *exit_status);

/// Moves the calling thread (call it while the process has only one) into a new
/// mount namespace and makes every mount in it private. Returns 0 or -1 with errno.
int strata_enter_private_mount_namespace(void);

#endif
