#!/usr/bin/env python3
"""Prints one line per entry of a directory tree, sorted by path: type, mode,
owner, size, modification time (ns), device number, link target, extended
attributes and a SHA-256 of regular files' content, and for a regular file the
number of its names in the tree (links outside it, such as a deps layer's view,
do not count). Two trees print the same lines when they are the same entry by
entry. overlayfs's own bookkeeping
attributes (origin, impure, uuid, ...) are left out: they describe where an
upper came from, not what it holds; trusted.overlay.opaque is content and
stays. For strata's tests."""
import hashlib
import os
import stat
import sys


def count_names(root):
    """(device, inode) of each regular file -> how many names it has in the tree."""
    names = {}
    for directory, _, files in os.walk(root):
        for name in files:
            status = os.lstat(os.path.join(directory, name))
            if stat.S_ISREG(status.st_mode):
                key = (status.st_dev, status.st_ino)
                names[key] = names.get(key, 0) + 1
    return names


def describe(root, relative, inodes):
    path = os.path.join(root, relative) if relative else root
    status = os.lstat(path)
    fields = [relative or ".", stat.filemode(status.st_mode), "%d:%d" % (status.st_uid, status.st_gid),
              str(status.st_mtime_ns)]
    if stat.S_ISREG(status.st_mode):
        with open(path, "rb") as handle:
            fields += [str(status.st_size), hashlib.sha256(handle.read()).hexdigest(), "links=%d" % inodes[(status.st_dev, status.st_ino)]]
    elif stat.S_ISLNK(status.st_mode):
        fields.append("-> " + os.readlink(path))
    elif stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode):
        fields.append("dev=%d:%d" % (os.major(status.st_rdev), os.minor(status.st_rdev)))
    try:
        names = sorted(os.listxattr(path, follow_symlinks=False))
    except OSError:
        names = []
    for name in names:
        if name.startswith("trusted.overlay.") and name != "trusted.overlay.opaque":
            continue
        fields.append("%s=%s" % (name, os.getxattr(path, name, follow_symlinks=False).hex()))
    return " ".join(fields)


def walk(root, inodes, relative=""):
    yield describe(root, relative, inodes)
    path = os.path.join(root, relative) if relative else root
    if stat.S_ISDIR(os.lstat(path).st_mode):
        for name in sorted(os.listdir(path)):
            yield from walk(root, inodes, os.path.join(relative, name) if relative else name)


for line in walk(sys.argv[1], count_names(sys.argv[1])):
    print(line)
