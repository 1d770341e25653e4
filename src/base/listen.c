/* listen.c - see listen.h. */
#include "base/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/cleanup.h"

int sl_listen_parse_address(const char *address, unsigned port, struct sockaddr_storage *ret_addr,
                            socklen_t *ret_len) {
        struct sockaddr_storage ss = { 0 };
        struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        char host[INET6_ADDRSTRLEN];
        bool bracketed = false;
        size_t n;

        if (port > UINT16_MAX)
                return -EINVAL;
        if (!address || !*address)
                address = "0.0.0.0";
        n = strlen(address);
        if (address[0] == '[') {
                /* "[::1" or "[1.2.3.4]" is a typo, not an address to guess at. */
                if (n < 2 || address[n - 1] != ']')
                        return -EINVAL;
                bracketed = true;
                address++;
                n -= 2;
        }
        if (n >= sizeof(host))
                return -EINVAL;
        memcpy(host, address, n);
        host[n] = '\0';

        if (!bracketed && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
                in4->sin_family = AF_INET;
                in4->sin_port = htons((uint16_t)port);
                *ret_len = sizeof(*in4);
        } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t)port);
                *ret_len = sizeof(*in6);
        } else {
                return -EINVAL;
        }
        *ret_addr = ss;
        return 0;
}

int sl_listen_open(const struct sockaddr_storage *addr, socklen_t len, int backlog,
                   unsigned *ret_port) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_storage bound;
        socklen_t bound_len = sizeof(bound);
        int one = 1;

        fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* Lets a restarted agent bind while old connections sit in TIME_WAIT;
         * a live listener on the port still fails with EADDRINUSE. */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(fd, (const struct sockaddr *)addr, len) < 0)
                return -errno;
        if (listen(fd, backlog) < 0)
                return -errno;
        if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) < 0)
                return -errno;
        if (bound.ss_family == AF_INET)
                *ret_port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        else
                *ret_port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
        return TAKE_FD(fd);
}
