// System calls that Swift's Glibc module does not declare (glibc puts them
// behind _GNU_SOURCE). Thin wrappers only: no logic lives here.
#ifndef STRATA_SYS_H
#define STRATA_SYS_H

#include <sys/types.h>
#include <sys/xattr.h>
#include <stdint.h>

/// pipe2(fds, O_CLOEXEC).
int strata_pipe_cloexec(int fds[2]);
ssize_t strata_copy_file_range(int fd_in, int fd_out, size_t length);
int strata_syncfs(int fd);
dev_t strata_makedev(unsigned int major, unsigned int minor);
unsigned int strata_major(dev_t dev);
unsigned int strata_minor(dev_t dev);
/// statfs(2)'s f_type of the file system holding path; 0 or -1 with errno.
int strata_file_system_type(const char *path, long *type);
/// O_PATH (glibc declares it only under _GNU_SOURCE): open a descriptor that
/// names an entry without opening it.
static const int STRATA_O_PATH = 010000000;

/// Binds `source` (recursively) onto the entry `target_fd` refers to (an
/// O_PATH descriptor), read-only, nosuid and nodev when `read_only`: one
/// detached clone (open_tree), its attributes set (mount_setattr) before it
/// is attached (move_mount), so no path string is resolved at the target.
/// With `userns_fd` (not -1) the clone is idmapped through that user
/// namespace's maps (ownership on disk shifted into its range), and covers
/// the source mount alone.
int strata_bind_onto(const char *source, int target_fd, int read_only, int userns_fd);
/// 0 when the mount holding `path` can be idmapped through `userns_fd`
/// (a detached clone is idmapped and dropped); -1 with errno otherwise.
int strata_can_idmap(const char *path, int userns_fd);
/// open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600): an unnamed file in directory.
int strata_open_tmpfile(const char *directory);

#endif
