/* mhd-loop.c - see mhd-loop.h. */
#include "base/mhd-loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/time-util.h"

/* Longest wait asked of the loop, whatever MHD says: it only matters when
 * MHD asks for none at all, which it tells us with MHD_NO instead. */
#define MAX_WAIT_NS (3600 * SL_NSEC_PER_SEC)

void sl_mhd_loop_schedule(struct sl_mhd_loop *ml) {
        MHD_UNSIGNED_LONG_LONG ms;
        uint64_t wait;

        if (MHD_get_timeout(ml->daemon, &ms) != MHD_YES) {
                sl_loop_timer_disarm(ml->loop, &ml->timer);
                return;
        }
        wait = ms < MAX_WAIT_NS / SL_NSEC_PER_MSEC ? (uint64_t)ms * SL_NSEC_PER_MSEC : MAX_WAIT_NS;
        sl_loop_timer_arm(ml->loop, &ml->timer, sl_now_ns() + wait);
}

static unsigned connections(const struct sl_mhd_loop *ml) {
        const union MHD_DaemonInfo *info =
                MHD_get_daemon_info(ml->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        return info ? info->num_connections : 0;
}

void sl_mhd_loop_run(struct sl_mhd_loop *ml) {
        unsigned before, after;

        if (!ml->rerun_after_close) {
                MHD_run(ml->daemon);
                sl_mhd_loop_schedule(ml);
                return;
        }
        /* See the header: a run that closed connections is followed by one
         * that listens again. */
        after = connections(ml);
        do {
                before = after;
                MHD_run(ml->daemon);
                after = connections(ml);
        } while (after < before);
        sl_mhd_loop_schedule(ml);
}

static void on_epoll_ready(int fd, uint32_t events, void *userdata) {
        sl_mhd_loop_run(userdata);
}

static void on_timer(struct sl_timer *timer, uint64_t now_ns, void *userdata) {
        sl_mhd_loop_run(userdata);
}

void sl_mhd_loop_init(struct sl_mhd_loop *ml, struct sl_loop *loop, bool rerun_after_close) {
        *ml = (struct sl_mhd_loop){ .loop = loop, .epoll_fd = -1,
                                    .rerun_after_close = rerun_after_close };
        sl_timer_init(&ml->timer, on_timer, ml);
}

int sl_mhd_loop_start(struct sl_mhd_loop *ml, unsigned flags, int listen_fd,
                      MHD_AccessHandlerCallback handler, void *handler_cls,
                      const struct MHD_OptionItem *options) {
        const union MHD_DaemonInfo *info;
        struct stat before, after;
        int r;

        if (fstat(listen_fd, &before) < 0) {
                r = -errno;
                close(listen_fd);
                return r;
        }
        errno = 0;
        ml->daemon = MHD_start_daemon(flags | MHD_USE_EPOLL, 0, NULL, NULL, handler, handler_cls,
                                      MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
                                      MHD_OPTION_ARRAY, options,
                                      MHD_OPTION_END);
        if (!ml->daemon) {
                r = errno > 0 ? -errno : -EIO;
                /* MHD closes a socket it was given on some failure paths and
                 * not on others: close it only if it is still ours. */
                if (fstat(listen_fd, &after) == 0 && after.st_dev == before.st_dev &&
                    after.st_ino == before.st_ino)
                        close(listen_fd);
                return r;
        }
        info = MHD_get_daemon_info(ml->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info || info->epoll_fd < 0)
                return -EIO;
        r = sl_loop_add_fd(ml->loop, info->epoll_fd, EPOLLIN, on_epoll_ready, ml);
        if (r < 0)
                return r;
        ml->epoll_fd = info->epoll_fd;
        sl_mhd_loop_schedule(ml);
        return 0;
}

int sl_mhd_loop_add_connection(struct sl_mhd_loop *ml, int fd) {
        /* libmicrohttpd wants a peer address; a socketpair has none to give. */
        struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int r = 0;

        errno = 0;
        if (MHD_add_connection(ml->daemon, fd, (const struct sockaddr *)&peer, sizeof(peer)) != MHD_YES)
                r = errno > 0 ? -errno : -EIO; /* MHD closed @fd */
        sl_mhd_loop_schedule(ml);
        return r;
}

void sl_mhd_loop_release(struct sl_mhd_loop *ml) {
        if (ml->epoll_fd >= 0)
                sl_loop_del_fd(ml->loop, ml->epoll_fd);
        ml->epoll_fd = -1;
        if (ml->loop)
                sl_loop_timer_disarm(ml->loop, &ml->timer);
        if (ml->daemon)
                MHD_stop_daemon(ml->daemon);
        ml->daemon = NULL;
}
