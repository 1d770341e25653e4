/* test-listen.c - numeric addresses parsed (brackets only around IPv6),
 * anything else refused; a listener bound to port 0 reports its port and
 * a second one on that port fails with EADDRINUSE. */
#include "base/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include "sl-test.h"

static const struct {
        const char *address;
        int family;             /* 0: refused */
} cases[] = {
        { NULL, AF_INET },
        { "", AF_INET },
        { "127.0.0.1", AF_INET },
        { "0.0.0.0", AF_INET },
        { "::1", AF_INET6 },
        { "[::1]", AF_INET6 },
        { "[::]", AF_INET6 },
        { "::ffff:127.0.0.1", AF_INET6 },
        { "[127.0.0.1]", 0 },   /* brackets are for IPv6 */
        { "[::1", 0 },
        { "::1]", 0 },
        { "[", 0 },
        { "[]", 0 },
        { "localhost", 0 },     /* nothing is resolved */
        { "127.0.0.1:80", 0 },
        { "not-an-ip", 0 },
};

START_TEST(parse_address)
{
        struct sockaddr_storage ss;
        socklen_t len = 0;
        int r = sl_listen_parse_address(cases[_i].address, 8080, &ss, &len);

        if (!cases[_i].family) {
                ck_assert_int_eq(r, -EINVAL);
                return;
        }
        ck_assert_int_eq(r, 0);
        ck_assert_int_eq(ss.ss_family, cases[_i].family);
        if (cases[_i].family == AF_INET) {
                ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
                ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
        } else {
                ck_assert_uint_eq(len, sizeof(struct sockaddr_in6));
                ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 8080);
        }
}
END_TEST

START_TEST(port_out_of_range)
{
        struct sockaddr_storage ss;
        socklen_t len;

        ck_assert_int_eq(sl_listen_parse_address("127.0.0.1", 65535, &ss, &len), 0);
        ck_assert_int_eq(sl_listen_parse_address("127.0.0.1", 65536, &ss, &len), -EINVAL);
}
END_TEST

START_TEST(open_reports_port_and_conflicts)
{
        struct sockaddr_storage ss;
        socklen_t len;
        unsigned port = 0, port2 = 0;
        int fd, fd2;

        ck_assert_int_eq(sl_listen_parse_address("127.0.0.1", 0, &ss, &len), 0);
        fd = sl_listen_open(&ss, len, 16, &port);
        ck_assert_int_ge(fd, 0);
        ck_assert_uint_gt(port, 0);
        ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
        ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);

        ck_assert_int_eq(sl_listen_parse_address("127.0.0.1", port, &ss, &len), 0);
        fd2 = sl_listen_open(&ss, len, 16, &port2);
        ck_assert_int_eq(fd2, -EADDRINUSE);
        close(fd);
}
END_TEST

START_TEST(open_refuses_foreign_address)
{
        struct sockaddr_storage ss;
        socklen_t len;
        unsigned port;

        /* TEST-NET-1: never a local address. */
        ck_assert_int_eq(sl_listen_parse_address("192.0.2.1", 0, &ss, &len), 0);
        ck_assert_int_eq(sl_listen_open(&ss, len, 16, &port), -EADDRNOTAVAIL);
}
END_TEST

static Suite *listen_suite(void) {
        Suite *s = suite_create("listen");
        TCase *tc = tcase_create("listen");
        tcase_add_loop_test(tc, parse_address, 0, (int)(sizeof(cases) / sizeof(cases[0])));
        tcase_add_test(tc, port_out_of_range);
        tcase_add_test(tc, open_reports_port_and_conflicts);
        tcase_add_test(tc, open_refuses_foreign_address);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(listen_suite)
