/* mhd-loop.h - a libmicrohttpd daemon driven by the loop.
 *
 * libmicrohttpd runs without a thread of its own, in its external epoll
 * mode: its epoll descriptor is registered on the loop and MHD_run() is
 * called when it is readable, or when the deadline MHD_get_timeout() gives
 * passes (one struct sl_timer). The metrics server and the push receivers
 * both serve this way; each keeps its own routes and answers.
 *
 * With rerun_after_close, a run that closed connections is followed by
 * another. At the connection limit MHD takes its listening socket out of
 * its epoll set and puts it back only at the start of a run once fewer
 * connections are open, while it closes connections at the end of a run:
 * without a second run, with every connection closed, nothing would be
 * left in MHD's epoll set to wake the loop. A run with nothing to do
 * returns at once.
 *
 * It is a library of its own (sl-mhd-loop, beside sl-base), so that
 * sl-base links no libmicrohttpd.
 *
 * Owns: the daemon (and through it the listening socket and connections),
 * the registration of its epoll descriptor and the timer. Borrows: the loop
 * (it outlives the struct) and the access handler's closure.
 *
 * Calling sequence:
 *   sl_mhd_loop_init()      embedded in its owner; starts nothing
 *   sl_mhd_loop_start()     starts the daemon on a listening socket,
 *                           registers it on the loop
 *   ... MHD's callbacks from inside sl_loop_run_once() ...
 *   sl_mhd_loop_run()       runs MHD now (after resuming a connection)
 *   sl_mhd_loop_release()   unregisters, stops the daemon
 * Threading: loop thread only.
 */
#ifndef SL_BASE_MHD_LOOP_H
#define SL_BASE_MHD_LOOP_H

#include <microhttpd.h>
#include <stdbool.h>

#include "base/loop.h"

struct sl_mhd_loop {
        struct sl_loop *loop;           /* borrowed; outlives the struct */
        struct MHD_Daemon *daemon;      /* owned; NULL until started */
        int epoll_fd;                   /* MHD's, registered on loop; -1 when not */
        struct sl_timer timer;          /* armed at MHD_get_timeout()'s deadline */
        bool rerun_after_close;         /* run again while a run closes connections */
};

void sl_mhd_loop_init(struct sl_mhd_loop *ml, struct sl_loop *loop, bool rerun_after_close);

/* Starts MHD in external epoll mode (MHD_USE_EPOLL is added to @flags) on
 * the listening socket @listen_fd, which it takes over, also on failure;
 * @options (ended by MHD_OPTION_END) are passed as MHD_OPTION_ARRAY.
 * Registers the daemon on the loop and arms the timer. Returns 0 or -errno
 * (the struct can then still be released). */
int sl_mhd_loop_start(struct sl_mhd_loop *ml, unsigned flags, int listen_fd,
                      MHD_AccessHandlerCallback handler, void *handler_cls,
                      const struct MHD_OptionItem *options);

/* The daemon, borrowed; NULL before a successful start. */
static inline struct MHD_Daemon *sl_mhd_loop_daemon(const struct sl_mhd_loop *ml) {
        return ml->daemon;
}

/* Runs MHD (again after closing connections, with rerun_after_close), then
 * re-arms the timer. */
void sl_mhd_loop_run(struct sl_mhd_loop *ml);

/* Re-arms the timer at MHD's deadline, or disarms it when MHD has none. */
void sl_mhd_loop_schedule(struct sl_mhd_loop *ml);

/* Serves @fd, a socket connected by other means (a socketpair: tests and
 * fuzzing drive the request handling without TCP), which MHD takes over,
 * also on failure. Returns 0 or -errno. */
int sl_mhd_loop_add_connection(struct sl_mhd_loop *ml, int fd);

/* Unregisters the epoll descriptor, disarms the timer and stops the
 * daemon (closing its socket and connections). Any struct initialized by
 * sl_mhd_loop_init(), started or not, may be released, more than once. */
void sl_mhd_loop_release(struct sl_mhd_loop *ml);

#endif
