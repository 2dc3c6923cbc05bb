#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "strata_sys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

int strata_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

ssize_t strata_copy_file_range(int fd_in, int fd_out, size_t length) {
    return copy_file_range(fd_in, NULL, fd_out, NULL, length, 0);
}

int strata_syncfs(int fd) { return syncfs(fd); }

dev_t strata_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
unsigned int strata_major(dev_t dev) { return major(dev); }
unsigned int strata_minor(dev_t dev) { return minor(dev); }


int strata_file_system_type(const char *path, long *type) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    *type = (long)info.f_type;
    return 0;
}

int strata_open_tmpfile(const char *directory) { return open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600); }

/// A detached clone of the mount at `source` (recursive unless idmapped: the
/// mounts below it would each need the mapping, and may not allow one), with
/// read-only, nosuid, nodev and the idmap set as asked. Returns its
/// descriptor, or -1 with errno.
static int clone_mount(const char *source, int read_only, int userns_fd) {
    unsigned int recursive = userns_fd >= 0 ? 0 : AT_RECURSIVE;
    int tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recursive);
    if (tree < 0) return -1;
    struct mount_attr attributes;
    memset(&attributes, 0, sizeof attributes);
    if (read_only) attributes.attr_set |= MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (userns_fd >= 0) {
        attributes.attr_set |= MOUNT_ATTR_IDMAP;
        attributes.userns_fd = (unsigned long long)userns_fd;
    }
    if (attributes.attr_set != 0
        && mount_setattr(tree, "", AT_EMPTY_PATH | recursive, &attributes, sizeof attributes) != 0) {
        int saved = errno;
        close(tree);
        errno = saved;
        return -1;
    }
    return tree;
}

int strata_bind_onto(const char *source, int target_fd, int read_only, int userns_fd) {
    int tree = clone_mount(source, read_only, userns_fd);
    if (tree < 0) return -1;
    int result = move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int saved = errno;
    close(tree);
    errno = saved;
    return result;
}

int strata_can_idmap(const char *path, int userns_fd) {
    int tree = clone_mount(path, 0, userns_fd);
    if (tree < 0) return -1;
    close(tree);
    return 0;
}
