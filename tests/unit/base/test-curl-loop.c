/* test-curl-loop.c - a kick answers from the loop; curl's socket is
 * registered while a transfer connects and unregistered when it is
 * removed; a transfer that needs no socket ends through the timer; the
 * multi handle is cleaned up without a loop too. */
#include "base/curl-loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/time-util.h"
#include "sl-test.h"

struct seen {
        struct sl_curl_loop *cl;
        unsigned calls;         /* done callbacks */
        unsigned finished;      /* CURLMSG_DONE read in them */
        CURLcode result;        /* the last one's */
};

static void on_done(void *userdata) {
        struct seen *seen = userdata;
        CURLMsg *msg;
        int left;

        seen->calls++;
        while ((msg = curl_multi_info_read(sl_curl_loop_multi(seen->cl), &left))) {
                if (msg->msg != CURLMSG_DONE)
                        continue;
                seen->finished++;
                seen->result = msg->data.result;
                curl_multi_remove_handle(sl_curl_loop_multi(seen->cl), msg->easy_handle);
        }
}

static size_t discard(char *p, size_t size, size_t n, void *userdata) {
        return size * n;
}

START_TEST(kick_calls_back_from_the_loop)
{
        struct sl_loop *loop = sl_loop_new();
        struct sl_curl_loop cl;
        struct seen seen = { .cl = &cl };

        ck_assert_int_eq(sl_curl_loop_init(&cl, loop, on_done, &seen), 0);
        ck_assert_ptr_nonnull(sl_curl_loop_multi(&cl));
        sl_curl_loop_kick(&cl);
        ck_assert_uint_eq(seen.calls, 0);
        ck_assert_int_eq(sl_loop_run_once(loop, 0), 0);
        ck_assert_uint_eq(seen.calls, 1);
        sl_curl_loop_release(&cl);
        sl_curl_loop_release(&cl); /* a released struct is left alone */
        sl_loop_free(loop);
}
END_TEST

/* An owner with no loop (discovery's unit tests make providers so) still
 * has its multi handle cleaned up: the sanitizers' leak check sees it. */
START_TEST(release_without_loop)
{
        struct sl_curl_loop cl;
        struct seen seen = { .cl = &cl };

        ck_assert_int_eq(sl_curl_loop_init(&cl, NULL, on_done, &seen), 0);
        sl_curl_loop_release(&cl);
        ck_assert_ptr_null(sl_curl_loop_multi(&cl));
}
END_TEST

START_TEST(socket_registered_while_connected)
{
        struct sl_loop *loop = sl_loop_new();
        struct sl_curl_loop cl;
        struct seen seen = { .cl = &cl };
        struct sockaddr_in addr = { .sin_family = AF_INET,
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(addr);
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        char url[64];
        CURL *easy = curl_easy_init();
        uint64_t give_up = sl_now_ns() + 5 * SL_NSEC_PER_SEC;

        /* A listener that never answers: curl connects, sends, and waits. */
        ck_assert_int_ge(lfd, 0);
        ck_assert_int_eq(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        ck_assert_int_eq(listen(lfd, 4), 0);
        ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&addr, &len), 0);
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(addr.sin_port));

        ck_assert_int_eq(sl_curl_loop_init(&cl, loop, on_done, &seen), 0);
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        ck_assert_int_eq(curl_multi_add_handle(sl_curl_loop_multi(&cl), easy), CURLM_OK);
        while (cl.n_fds == 0 && sl_now_ns() < give_up)
                ck_assert_int_eq(sl_loop_run_once(loop, 10 * SL_NSEC_PER_MSEC), 0);
        ck_assert_uint_eq(cl.n_fds, 1);
        ck_assert_uint_eq(seen.finished, 0);

        /* Removing the transfer has curl take its socket back. */
        curl_multi_remove_handle(sl_curl_loop_multi(&cl), easy);
        ck_assert_uint_eq(cl.n_fds, 0);
        curl_easy_cleanup(easy);
        sl_curl_loop_release(&cl);
        close(lfd);
        sl_loop_free(loop);
}
END_TEST

START_TEST(transfer_ends_through_the_loop)
{
        struct sl_loop *loop = sl_loop_new();
        struct sl_curl_loop cl;
        struct seen seen = { .cl = &cl };
        char *dir = sl_test_tmpdir();
        char path[4096], url[4200];
        CURL *easy = curl_easy_init();
        uint64_t give_up = sl_now_ns() + 5 * SL_NSEC_PER_SEC;

        snprintf(path, sizeof(path), "%s/f", dir);
        sl_test_write_file(path, "hello\n", 6);
        snprintf(url, sizeof(url), "file://%s", path);
        ck_assert_int_eq(sl_curl_loop_init(&cl, loop, on_done, &seen), 0);
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
        ck_assert_int_eq(curl_multi_add_handle(sl_curl_loop_multi(&cl), easy), CURLM_OK);
        while (seen.finished == 0 && sl_now_ns() < give_up)
                ck_assert_int_eq(sl_loop_run_once(loop, 10 * SL_NSEC_PER_MSEC), 0);
        ck_assert_uint_eq(seen.finished, 1);
        ck_assert_int_eq(seen.result, CURLE_OK);
        curl_easy_cleanup(easy);
        sl_curl_loop_release(&cl);
        sl_loop_free(loop);
        sl_test_rmtree(dir);
        free(dir);
}
END_TEST

static Suite *curl_loop_suite(void) {
        Suite *s = suite_create("curl-loop");
        TCase *tc = tcase_create("curl-loop");
        tcase_add_test(tc, kick_calls_back_from_the_loop);
        tcase_add_test(tc, release_without_loop);
        tcase_add_test(tc, socket_registered_while_connected);
        tcase_add_test(tc, transfer_ends_through_the_loop);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(curl_loop_suite)
