/* loop.h - the event loop: epoll for descriptors, deadlines for timers.
 *
 * sluice runs on one thread. Every source of events registers here: the
 * inotify descriptor, the signalfd, curl's sockets and the metrics server.
 * Timers are owned by their modules (embedded struct sl_timer) and armed with
 * absolute CLOCK_MONOTONIC deadlines; the loop sleeps until the earliest one.
 *
 * Owns: the epoll descriptor and one registration record per descriptor.
 * Borrows: every struct sl_timer armed on it (its owner disarms it before
 * freeing it) and the user data of callbacks.
 *
 * Calling sequence:
 *   sl_loop_new()          creates the epoll descriptor
 *   sl_loop_add_fd() ...   register descriptors; sl_loop_timer_arm() timers
 *   sl_loop_set_busy()     optional: a hook asked before sleeping whether
 *                          work is pending (then the loop polls without waiting)
 *   sl_loop_run()          dispatches until sl_loop_stop()
 *   sl_loop_free()         closes epoll; registrations left are dropped
 *
 * A callback may add or remove any registration, including its own; a
 * removed descriptor gets no further callbacks, even in the same iteration.
 */
#ifndef SL_BASE_LOOP_H
#define SL_BASE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct sl_loop;

/* Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP). */
typedef void (*sl_loop_io_fn)(int fd, uint32_t events, void *userdata);

struct sl_timer;
/* Called once when the deadline passes; re-arm from inside to repeat.
 * Timers due together fire earliest deadline first. */
typedef void (*sl_loop_timer_fn)(struct sl_timer *timer, uint64_t now_ns, void *userdata);

struct sl_timer {
        uint64_t deadline_ns;      /* absolute CLOCK_MONOTONIC */
        sl_loop_timer_fn fn;       /* what to call */
        void *userdata;            /* borrowed, passed to fn */
        struct sl_timer *next;     /* loop's list of armed timers */
        struct sl_timer *prev;
        bool armed;                /* on the loop's list */
};

/* Returns true when the owner has work to do without waiting for an event. */
typedef bool (*sl_loop_busy_fn)(void *userdata);

struct sl_loop *sl_loop_new(void);
void sl_loop_free(struct sl_loop *loop);

/* Registers @fd for @events. Returns 0 or -errno (-EEXIST if registered). */
int sl_loop_add_fd(struct sl_loop *loop, int fd, uint32_t events, sl_loop_io_fn fn, void *userdata);
/* Changes the events watched on a registered @fd. Returns 0 or -errno. */
int sl_loop_mod_fd(struct sl_loop *loop, int fd, uint32_t events);
/* Unregisters @fd (before its owner closes it). Unknown fds are ignored. */
void sl_loop_del_fd(struct sl_loop *loop, int fd);

void sl_timer_init(struct sl_timer *timer, sl_loop_timer_fn fn, void *userdata);
/* Arms (or re-arms) @timer for the absolute monotonic @deadline_ns. */
void sl_loop_timer_arm(struct sl_loop *loop, struct sl_timer *timer, uint64_t deadline_ns);
/* Disarms @timer; a no-op when it is not armed. */
void sl_loop_timer_disarm(struct sl_loop *loop, struct sl_timer *timer);

void sl_loop_set_busy(struct sl_loop *loop, sl_loop_busy_fn fn, void *userdata);

/* Waits at most @max_wait_ns (0: poll) for events, dispatches them and the
 * timers due. Returns 0 or -errno. */
int sl_loop_run_once(struct sl_loop *loop, uint64_t max_wait_ns);
/* Runs iterations until sl_loop_stop(). Returns 0 or -errno. */
int sl_loop_run(struct sl_loop *loop);
void sl_loop_stop(struct sl_loop *loop);
bool sl_loop_stopped(const struct sl_loop *loop);

#endif
