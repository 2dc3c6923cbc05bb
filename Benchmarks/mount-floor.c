/*
 * The floor for a ready build root: the same kernel work strata does to set
 * up a root, run /bin/true in it and tear it down — an overlay over two
 * lowers, a tmpfs /dev with six nodes, devpts, /dev/shm, /tmp, a child in new
 * mount, PID, UTS, IPC and network namespaces that mounts proc and sysfs,
 * brings up loopback, chroots and execs — with nothing else: no bookkeeping,
 * no checks, no language runtime. Prints the median of N rounds in microseconds.
 *
 * usage: mount-floor ROUNDS UPPER_LOWER BASE_LOWER SCRATCH_DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[4096], dev[4200], pts[4200], shm[4200], tmp[4200], proc_dir[4200], sys_dir[4200];

static void die(const char *what) {
    perror(what);
    exit(1);
}

static long long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void child(void) {
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) != 0) die("unshare");
    pid_t init = fork();
    if (init < 0) die("fork");
    if (init == 0) {
        if (mount("proc", proc_dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("proc");
        if (mount("sysfs", sys_dir, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die("sysfs");
        int sock = socket(AF_INET, SOCK_DGRAM, 0);
        struct ifreq request;
        memset(&request, 0, sizeof request);
        strcpy(request.ifr_name, "lo");
        ioctl(sock, SIOCGIFFLAGS, &request);
        request.ifr_flags |= IFF_UP;
        ioctl(sock, SIOCSIFFLAGS, &request);
        close(sock);
        if (chroot(root) != 0 || chdir("/") != 0) die("chroot");
        execl("/bin/true", "true", (char *)NULL);
        die("exec");
    }
    int status;
    waitpid(init, &status, 0);
    _exit(0);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: mount-floor ROUNDS UPPER_LOWER BASE_LOWER SCRATCH_DIR\n");
        return 2;
    }
    int rounds = atoi(argv[1]);
    const char *scratch = argv[4];
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("private namespace");
    long long *samples = calloc(rounds, sizeof *samples);
    char upper[4200], work[4200], options[16384];
    snprintf(root, sizeof root, "%s/root", scratch);
    snprintf(upper, sizeof upper, "%s/upper", scratch);
    snprintf(work, sizeof work, "%s/work", scratch);
    snprintf(dev, sizeof dev, "%s/dev", root);
    snprintf(pts, sizeof pts, "%s/dev/pts", root);
    snprintf(shm, sizeof shm, "%s/dev/shm", root);
    snprintf(tmp, sizeof tmp, "%s/tmp", root);
    snprintf(proc_dir, sizeof proc_dir, "%s/proc", root);
    snprintf(sys_dir, sizeof sys_dir, "%s/sys", root);
    snprintf(options, sizeof options,
             "lowerdir=%s:%s,upperdir=%s,workdir=%s,index=off,metacopy=off,redirect_dir=off,volatile",
             argv[2], argv[3], upper, work);
    const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    const unsigned majors[] = {1, 1, 1, 1, 1, 5}, minors[] = {3, 5, 7, 8, 9, 0};

    for (int round = 0; round < rounds; round++) {
        long long start = now_us();
        mkdir(scratch, 0755);
        mkdir(root, 0755);
        mkdir(upper, 0755);
        mkdir(work, 0755);
        if (mount("overlay", root, "overlay", 0, options) != 0) die("overlay");
        if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755") != 0) die("dev");
        char node[4400];
        for (int i = 0; i < 6; i++) {
            snprintf(node, sizeof node, "%s/%s", dev, nodes[i]);
            mknod(node, S_IFCHR | 0666, makedev(majors[i], minors[i]));
        }
        mkdir(pts, 0755);
        mkdir(shm, 0755);
        if (mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0) die("devpts");
        if (mount("tmpfs", shm, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) die("shm");
        if (mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) die("tmp");
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) child();
        int status;
        waitpid(pid, &status, 0);
        umount2(tmp, 0);
        umount2(shm, 0);
        umount2(pts, 0);
        umount2(dev, 0);
        if (umount2(root, 0) != 0) die("umount overlay");
        /* The scratch is empty but for what overlayfs made in its work dir. */
        const char *made[] = {"work/work/incompat/volatile/dirty", "work/work/incompat/volatile", "work/work/incompat", "work/work"};
        char path[8400];
        for (int i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s/%s", scratch, made[i]);
            if (rmdir(path) != 0) unlink(path);
        }
        rmdir(work);
        rmdir(upper);
        rmdir(root);
        rmdir(scratch);
        samples[round] = now_us() - start;
    }
    for (int i = 0; i < rounds; i++)
        for (int j = i + 1; j < rounds; j++)
            if (samples[j] < samples[i]) { long long t = samples[i]; samples[i] = samples[j]; samples[j] = t; }
    printf("%lld\n", samples[rounds / 2]);
    return 0;
}
