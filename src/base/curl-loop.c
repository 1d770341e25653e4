/* curl-loop.c - see curl-loop.h. */
#include "base/curl-loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/types.h>

#include "base/time-util.h"
#include "base/xalloc.h"

static void on_timer(struct sl_timer *t, uint64_t now_ns, void *userdata) {
        struct sl_curl_loop *cl = userdata;
        int running;

        curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        cl->done(cl->userdata);
}

static void on_io(int fd, uint32_t events, void *userdata) {
        struct sl_curl_loop *cl = userdata;
        int flags = 0, running;

        if (events & (EPOLLIN | EPOLLHUP))
                flags |= CURL_CSELECT_IN;
        if (events & EPOLLOUT)
                flags |= CURL_CSELECT_OUT;
        if (events & EPOLLERR)
                flags |= CURL_CSELECT_ERR;
        curl_multi_socket_action(cl->multi, fd, flags, &running);
        cl->done(cl->userdata);
}

static ssize_t fd_index(const struct sl_curl_loop *cl, int fd) {
        for (size_t i = 0; i < cl->n_fds; i++)
                if (cl->fds[i] == fd)
                        return (ssize_t)i;
        return -1;
}

/* CURLMOPT_SOCKETFUNCTION: mirrors what curl wants to watch on the loop. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
        struct sl_curl_loop *cl = userp;
        ssize_t i = fd_index(cl, s);
        uint32_t events = 0;

        if (what == CURL_POLL_REMOVE) {
                if (i >= 0) {
                        sl_loop_del_fd(cl->loop, s);
                        cl->fds[i] = cl->fds[--cl->n_fds];
                }
                return 0;
        }
        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;
        if (i >= 0)
                return sl_loop_mod_fd(cl->loop, s, events) < 0 ? -1 : 0;
        if (sl_loop_add_fd(cl->loop, s, events, on_io, cl) < 0)
                return -1;
        sl_xgrow((void **)&cl->fds, sizeof(*cl->fds), &cl->cap_fds, cl->n_fds + 1);
        cl->fds[cl->n_fds++] = s;
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer, re-armed or disarmed as curl asks. */
static int on_timeout_change(CURLM *multi, long timeout_ms, void *userp) {
        struct sl_curl_loop *cl = userp;

        if (timeout_ms < 0)
                sl_loop_timer_disarm(cl->loop, &cl->timer);
        else
                sl_loop_timer_arm(cl->loop, &cl->timer,
                                  sl_now_ns() + (uint64_t)timeout_ms * SL_NSEC_PER_MSEC);
        return 0;
}

int sl_curl_loop_init(struct sl_curl_loop *cl, struct sl_loop *loop, sl_curl_loop_done_fn done,
                      void *userdata) {
        *cl = (struct sl_curl_loop){ .loop = loop, .done = done, .userdata = userdata };
        sl_timer_init(&cl->timer, on_timer, cl);
        cl->multi = curl_multi_init();
        if (!cl->multi)
                return -ENOMEM;
        if (curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
            curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl) != CURLM_OK ||
            curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, on_timeout_change) != CURLM_OK ||
            curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl) != CURLM_OK)
                return -ENOMEM; /* these options only fail when curl is out of memory */
        return 0;
}

void sl_curl_loop_release(struct sl_curl_loop *cl) {
        /* curl may still call on_socket while it shuts down: the sockets it
         * does not remove itself are unregistered after. (A struct whose
         * owner has no loop, as in some tests, has no sockets nor timer.) */
        if (cl->multi)
                curl_multi_cleanup(cl->multi);
        cl->multi = NULL;
        for (size_t i = 0; i < cl->n_fds; i++)
                sl_loop_del_fd(cl->loop, cl->fds[i]);
        free(cl->fds);
        cl->fds = NULL;
        cl->n_fds = cl->cap_fds = 0;
        if (cl->loop)
                sl_loop_timer_disarm(cl->loop, &cl->timer);
}

void sl_curl_loop_kick(struct sl_curl_loop *cl) {
        sl_loop_timer_arm(cl->loop, &cl->timer, sl_now_ns());
}
