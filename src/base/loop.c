/* loop.c - see loop.h. */
#include "base/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/time-util.h"
#include "base/xalloc.h"

struct io_reg {
        int fd;                 /* registered descriptor */
        sl_loop_io_fn fn;       /* callback */
        void *userdata;         /* borrowed */
        bool dead;              /* removed; freed after the current dispatch */
        struct io_reg *next;    /* all registrations */
};

struct sl_loop {
        int epfd;                  /* owned epoll descriptor */
        struct io_reg *regs;       /* owned registrations, live and dead */
        bool dispatching;          /* inside epoll dispatch: defer frees */
        struct sl_timer *timers;   /* borrowed armed timers, unsorted */
        sl_loop_busy_fn busy;      /* optional before-sleep question */
        void *busy_userdata;
        bool stop;
};

struct sl_loop *sl_loop_new(void) {
        struct sl_loop *loop = sl_xnew(struct sl_loop);
        loop->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (loop->epfd < 0) {
                free(loop);
                return NULL;
        }
        return loop;
}

static void reap(struct sl_loop *loop) {
        struct io_reg **pp = &loop->regs;
        while (*pp) {
                struct io_reg *r = *pp;
                if (r->dead) {
                        *pp = r->next;
                        free(r);
                } else {
                        pp = &r->next;
                }
        }
}

void sl_loop_free(struct sl_loop *loop) {
        if (!loop)
                return;
        for (struct io_reg *r = loop->regs; r; r = r->next)
                r->dead = true;
        reap(loop);
        while (loop->timers)
                sl_loop_timer_disarm(loop, loop->timers);
        close(loop->epfd);
        free(loop);
}

static struct io_reg *find(struct sl_loop *loop, int fd) {
        for (struct io_reg *r = loop->regs; r; r = r->next)
                if (r->fd == fd && !r->dead)
                        return r;
        return NULL;
}

int sl_loop_add_fd(struct sl_loop *loop, int fd, uint32_t events, sl_loop_io_fn fn, void *userdata) {
        struct epoll_event ev = { .events = events };
        struct io_reg *r;

        if (find(loop, fd))
                return -EEXIST;
        r = sl_xnew(struct io_reg);
        r->fd = fd;
        r->fn = fn;
        r->userdata = userdata;
        ev.data.ptr = r;
        if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int e = errno;
                free(r);
                return -e;
        }
        r->next = loop->regs;
        loop->regs = r;
        return 0;
}

int sl_loop_mod_fd(struct sl_loop *loop, int fd, uint32_t events) {
        struct io_reg *r = find(loop, fd);
        struct epoll_event ev = { .events = events };

        if (!r)
                return -ENOENT;
        ev.data.ptr = r;
        if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
                return -errno;
        return 0;
}

void sl_loop_del_fd(struct sl_loop *loop, int fd) {
        struct io_reg *r = find(loop, fd);
        if (!r)
                return;
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
        r->dead = true;
        if (!loop->dispatching)
                reap(loop);
}

void sl_timer_init(struct sl_timer *timer, sl_loop_timer_fn fn, void *userdata) {
        *timer = (struct sl_timer){ .fn = fn, .userdata = userdata };
}

void sl_loop_timer_arm(struct sl_loop *loop, struct sl_timer *timer, uint64_t deadline_ns) {
        timer->deadline_ns = deadline_ns;
        if (timer->armed)
                return;
        timer->armed = true;
        timer->prev = NULL;
        timer->next = loop->timers;
        if (loop->timers)
                loop->timers->prev = timer;
        loop->timers = timer;
}

void sl_loop_timer_disarm(struct sl_loop *loop, struct sl_timer *timer) {
        if (!timer->armed)
                return;
        if (timer->prev)
                timer->prev->next = timer->next;
        else
                loop->timers = timer->next;
        if (timer->next)
                timer->next->prev = timer->prev;
        timer->next = timer->prev = NULL;
        timer->armed = false;
}

void sl_loop_set_busy(struct sl_loop *loop, sl_loop_busy_fn fn, void *userdata) {
        loop->busy = fn;
        loop->busy_userdata = userdata;
}

static void run_timers(struct sl_loop *loop) {
        uint64_t now = sl_now_ns();
        bool fired;

        /* Due timers fire earliest deadline first, also when the loop woke
         * late and several are due at once. A callback may arm or disarm
         * any timer: rescan after each call. */
        do {
                struct sl_timer *first = NULL;

                for (struct sl_timer *t = loop->timers; t; t = t->next)
                        if (t->deadline_ns <= now && (!first || t->deadline_ns < first->deadline_ns))
                                first = t;
                fired = first != NULL;
                if (first) {
                        sl_loop_timer_disarm(loop, first);
                        first->fn(first, now, first->userdata);
                }
        } while (fired && !loop->stop);
}

int sl_loop_run_once(struct sl_loop *loop, uint64_t max_wait_ns) {
        struct epoll_event events[64];
        uint64_t wait = max_wait_ns, now = sl_now_ns();
        int timeout_ms, n;

        if (loop->busy && loop->busy(loop->busy_userdata))
                wait = 0;
        for (struct sl_timer *t = loop->timers; t && wait; t = t->next) {
                uint64_t d = t->deadline_ns > now ? t->deadline_ns - now : 0;
                if (d < wait)
                        wait = d;
        }
        if (wait == SL_TIME_INFINITY)
                timeout_ms = -1;
        else
                timeout_ms = (int)((wait + SL_NSEC_PER_MSEC - 1) / SL_NSEC_PER_MSEC > 60000 ? 60000 : (wait + SL_NSEC_PER_MSEC - 1) / SL_NSEC_PER_MSEC);

        n = epoll_wait(loop->epfd, events, 64, timeout_ms);
        if (n < 0) {
                if (errno == EINTR)
                        return 0;
                return -errno;
        }
        loop->dispatching = true;
        for (int i = 0; i < n; i++) {
                struct io_reg *r = events[i].data.ptr;
                if (!r->dead)
                        r->fn(r->fd, events[i].events, r->userdata);
        }
        loop->dispatching = false;
        reap(loop);
        run_timers(loop);
        return 0;
}

int sl_loop_run(struct sl_loop *loop) {
        while (!loop->stop) {
                int r = sl_loop_run_once(loop, SL_TIME_INFINITY);
                if (r < 0)
                        return r;
        }
        return 0;
}

void sl_loop_stop(struct sl_loop *loop) {
        loop->stop = true;
}

bool sl_loop_stopped(const struct sl_loop *loop) {
        return loop->stop;
}
