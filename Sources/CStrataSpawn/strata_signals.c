#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "strata_signals.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t received_signal = 0;
static volatile sig_atomic_t foreground_child = 0;

static void on_termination(int sig) {
    if (received_signal == 0) received_signal = sig;
    pid_t child = (pid_t)foreground_child;
    if (child > 0) kill(child, SIGKILL);
}

static void on_timer(int sig) { (void)sig; }

static void set_handler(int sig, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
    sigaction(sig, &action, NULL);
}

/* A parent may start strata with signals blocked (some process launchers
   do); strata must receive the ones it handles. */
static void unblock(int sig) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void strata_install_termination_handlers(void) {
    set_handler(SIGINT, on_termination);
    set_handler(SIGTERM, on_termination);
    set_handler(SIGHUP, on_termination);
    unblock(SIGINT);
    unblock(SIGTERM);
    unblock(SIGHUP);
}

void strata_install_hangup_handlers(void) {
    signal(SIGPIPE, SIG_IGN);
}

int strata_wait_readable(int fd) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    if (received_signal != 0) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = EINTR;
        return -1;
    }
    sigset_t during = old;
    sigdelset(&during, SIGINT);
    sigdelset(&during, SIGTERM);
    sigdelset(&during, SIGHUP);
    struct pollfd ready = {.fd = fd, .events = POLLIN};
    int result = ppoll(&ready, 1, NULL, &during);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return result < 0 ? -1 : 0;
}

void strata_ignore_interrupt(void) {
    signal(SIGINT, SIG_IGN);
}

int strata_termination_signal(void) { return (int)received_signal; }

void strata_set_foreground_child(pid_t pid) { foreground_child = (sig_atomic_t)pid; }

int strata_flock_timeout(int fd, int operation, long timeout_ms) {
    if (received_signal != 0) {
        errno = EINTR;
        return -1;
    }
    if (flock(fd, operation | LOCK_NB) == 0) return 0;
    if (errno != EWOULDBLOCK) return -1;

    set_handler(SIGALRM, on_timer);
    unblock(SIGALRM);
    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = SIGALRM;
    event._sigev_un._tid = gettid();
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) return -1;

    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    struct itimerspec when;
    memset(&when, 0, sizeof when);
    when.it_value = deadline;
    /* Re-armed every 50 ms after the deadline, in case the first signal
       arrived just before flock started to wait. */
    when.it_interval.tv_nsec = 50000000L;
    timer_settime(timer, TIMER_ABSTIME, &when, NULL);

    int result;
    int saved = 0;
    for (;;) {
        result = flock(fd, operation);
        if (result == 0) break;
        saved = errno;
        if (saved != EINTR) break;
        if (received_signal != 0) break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
            saved = ETIMEDOUT;
            break;
        }
    }
    timer_delete(timer);
    if (result != 0) errno = saved;
    return result;
}
