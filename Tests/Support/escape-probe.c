// A hostile program for the containment tests, built statically at test time
// and run inside a build root. Prints, one per line:
//   euid N                 its effective uid (0 when a setuid bit raised it)
//   chroot-escape escaped|contained
//                          whether the classic chroot(".."), fchdir escape of
//                          a root process reaches the host (argv[1] names a
//                          file that exists only on the host)
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    printf("euid %d\n", (int)geteuid());
    const char *host_only = argc > 1 ? argv[1] : "/nonexistent";
    int escaped = 0;
    if (geteuid() == 0) {
        int outside = open(".", O_RDONLY | O_DIRECTORY);
        mkdir("chroot-escape", 0700);
        if (chroot("chroot-escape") == 0 && outside >= 0 && fchdir(outside) == 0) {
            for (int i = 0; i < 256; i++) chdir("..");
            if (chroot(".") == 0 && access(host_only, F_OK) == 0) escaped = 1;
        }
    }
    printf("chroot-escape %s\n", escaped ? "escaped" : "contained");
    return 0;
}
