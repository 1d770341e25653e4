/* listen.h - a TCP listening socket from a numeric address and a port.
 *
 * The metrics server and the push receivers listen the same way: the
 * configured address (an IPv4 or IPv6 literal, never a name: nothing here
 * resolves) is parsed into a sockaddr first, so a bad one is refused before
 * anything is opened, then one non-blocking socket is bound and listened
 * on. The callers bind it themselves rather than through libmicrohttpd so
 * that a failure comes back as its errno (-EADDRINUSE), and hand the
 * descriptor to libmicrohttpd.
 *
 * Owns nothing; the descriptor returned is the caller's.
 */
#ifndef SL_BASE_LISTEN_H
#define SL_BASE_LISTEN_H

#include <sys/socket.h>

/* Fills @ret_addr and @ret_len from the numeric @address and @port:
 * "1.2.3.4", "::1" or "[::1]" (brackets only around an IPv6 address, and
 * both or neither); NULL or "" is 0.0.0.0. Returns 0, or -EINVAL for
 * anything else or a port over 65535. */
int sl_listen_parse_address(const char *address, unsigned port, struct sockaddr_storage *ret_addr,
                            socklen_t *ret_len);

/* Opens a non-blocking, close-on-exec TCP socket with SO_REUSEADDR, binds
 * it to @addr and listens with @backlog; @ret_port is the port bound (the
 * one the kernel chose when @addr's was 0). Returns the new descriptor
 * (the caller's), or -errno with nothing left open. */
int sl_listen_open(const struct sockaddr_storage *addr, socklen_t len, int backlog,
                   unsigned *ret_port);

#endif
