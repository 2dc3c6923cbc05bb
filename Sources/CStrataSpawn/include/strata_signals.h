// Signal handling Swift cannot express: handlers must be async-signal-safe.
#ifndef STRATA_SIGNALS_H
#define STRATA_SIGNALS_H

#include <sys/types.h>

/// Installs handlers for SIGINT, SIGTERM and SIGHUP (a closed terminal or
/// ssh session) that record the signal and kill
/// (SIGKILL) the registered child, so that a waiting strata wakes up, tears
/// down and exits 128 + signal. The handlers do not restart interrupted calls.
void strata_install_termination_handlers(void);

/// For a server on pipes: SIGPIPE is ignored (a write to a closed pipe fails
/// with EPIPE instead). Commands strata starts get default handling back.
void strata_install_hangup_handlers(void);

/// Waits until `fd` is readable, or fails with EINTR when SIGINT, SIGTERM
/// or SIGHUP has arrived, before the wait or during it (no signal is lost
/// between checking and waiting: ppoll unblocks them atomically).
int strata_wait_readable(int fd);

/// Ignores SIGINT (for an interactive shell, which handles its own ^C);
/// SIGTERM still ends the child. Undone by strata_install_termination_handlers.
void strata_ignore_interrupt(void);

/// The first SIGINT, SIGTERM or SIGHUP received, or 0.
int strata_termination_signal(void);

/// The child to kill when a termination signal arrives (0: none).
void strata_set_foreground_child(pid_t pid);

/// flock(2) that gives up after timeout_ms milliseconds: returns 0, or -1 with
/// errno ETIMEDOUT on timeout, EINTR when a termination signal arrived, or the
/// error of flock. A timer aimed at the calling thread interrupts the wait.
int strata_flock_timeout(int fd, int operation, long timeout_ms);

#endif
