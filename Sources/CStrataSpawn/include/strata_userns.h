// User namespaces and file-system identities: the few calls behind rootless
// strata and the user-namespaced roots of root strata. Thin wrappers; the
// policy (which ranges, when) lives in Swift.
#ifndef STRATA_USERNS_H
#define STRATA_USERNS_H

#include <sys/types.h>

/// Root: a new user namespace whose uid_map and gid_map are `uid_map` and
/// `gid_map` (written by this process, which needs CAP_SETUID/CAP_SETGID).
/// Returns a close-on-exec descriptor of it (/proc/PID/ns/user of a short-lived
/// child that made it), or -1 with errno. Safe in a multithreaded process.
int strata_create_user_namespace(const char *uid_map, const char *gid_map);

/// Not root: moves this process (which must have a single thread) into a new
/// user namespace, whose maps a child left outside writes by running
/// `uidmap_argv` and then `gidmap_argv` (newuidmap and newgidmap, given this
/// process's id). Afterwards the process is uid 0 and gid 0 inside, with every
/// capability there. Returns 0, or -1 with errno; *helper_status is the exit
/// status of the first map helper that failed (or 0).
int strata_enter_user_namespace(const char *const *uidmap_argv, const char *const *gidmap_argv, int *helper_status);

/// Sets this thread's file-system uid and gid (setfsuid, setfsgid) and raises
/// its effective capabilities back to its permitted set (changing the fsuid
/// away from 0 drops the file capabilities). Returns 0, or -1 with errno.
int strata_act_as(uid_t uid, gid_t gid);

/// Moves this process (which must have a single thread) into the mount
/// namespace of process `pid`, entering its user namespace first when that
/// differs from this process's own (a rootless strata's). Refuses with ESRCH
/// unless the mount namespace's inode is `expected_mount_namespace` (the pid
/// may have been reused). Returns 0, or -1 with errno.
int strata_join_namespaces(pid_t pid, unsigned long long expected_mount_namespace);

/// The inode of this process's mount namespace (/proc/self/ns/mnt), or 0.
unsigned long long strata_mount_namespace_id(void);

#endif
