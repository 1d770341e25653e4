/* test-http-client.c - GETs on the loop over a unix socket (the fake Docker
 * API serves them): answers, statuses, body caps, cancels, many requests in
 * flight, no server. Streaming is tested with the fake Kubernetes API
 * (test-kube-sd.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/fs-util.h"
#include "base/xalloc.h"
#include "discovery/http-client.h"
#include "fake-api.h"
#include "sl-test.h"

static char *dir, *sock;
static struct fake_api fake;
static struct sl_loop *loop;

struct answer {
        int calls;
        long status;
        char body[256];
        char error[256];
};

static void on_done(void *ud, long status, struct sl_str body, const char *error) {
        struct answer *a = ud;

        a->calls++;
        a->status = status;
        snprintf(a->body, sizeof(a->body), "%.*s", (int)body.len, body.ptr ? body.ptr : "");
        snprintf(a->error, sizeof(a->error), "%s", error ? error : "");
}

static bool answered(void *ud) {
        return ((struct answer *)ud)->calls > 0;
}

static void setup(void) {
        const char *args[] = { "--socket", NULL, NULL };

        dir = sl_test_tmpdir();
        sock = sl_path_join(dir, "api.sock");
        args[1] = sock;
        fake_api_start(&fake, dir, "fake_docker.py", args);
        loop = sl_loop_new();
}

static void teardown(void) {
        sl_loop_free(loop);
        fake_api_stop(&fake);
        sl_test_rmtree(dir);
        free(sock);
        free(dir);
}

START_TEST(get_over_a_unix_socket)
{
        struct sl_http_client_options o = { .unix_socket = sock, .user_agent = "test" };
        struct sl_http_client *c = sl_http_client_new(loop, &o);
        struct answer ok = { 0 }, missing = { 0 };

        sl_http_get(c, "http://localhost/_ping", 0, NULL, on_done, &ok);
        sl_http_get(c, "http://localhost/v1.41/containers/nope/json", 0, NULL, on_done, &missing);
        /* Never answered from inside sl_http_get(). */
        ck_assert_int_eq(ok.calls, 0);
        ck_assert_uint_eq(sl_http_client_in_flight(c), 2);
        ck_assert(run_until(loop, answered, &ok, 10000));
        ck_assert(run_until(loop, answered, &missing, 10000));
        ck_assert_int_eq(ok.status, 200);
        ck_assert_str_eq(ok.body, "OK");
        ck_assert_str_eq(ok.error, "");
        ck_assert_int_eq(missing.status, 404);
        ck_assert_str_eq(missing.body, "{\"message\": \"No such container: nope\"}");
        ck_assert_uint_eq(sl_http_client_in_flight(c), 0);
        ck_assert_int_eq(ok.calls, 1);
        sl_http_client_free(c);
}
END_TEST

START_TEST(body_cap_cancel_and_many_in_flight)
{
        struct sl_http_client_options o = { .unix_socket = sock, .max_body = 16 };
        struct sl_http_client *c = sl_http_client_new(loop, &o);
        struct answer big = { 0 }, cancelled = { 0 }, many[50];
        struct sl_http_request *r;

        memset(many, 0, sizeof(many));
        sl_http_get(c, "http://localhost/version", 0, NULL, on_done, &big);
        r = sl_http_get(c, "http://localhost/_ping", 0, NULL, on_done, &cancelled);
        for (int i = 0; i < 50; i++)
                sl_http_get(c, "http://localhost/_ping", 0, NULL, on_done, &many[i]);
        sl_http_cancel(c, r);
        ck_assert(run_until(loop, answered, &big, 10000));
        /* Answered, but too long to keep: the status, an error, no body. */
        ck_assert_int_eq(big.status, 200);
        ck_assert_msg(strstr(big.error, "larger than 16 bytes") != NULL, "%s", big.error);
        ck_assert_str_eq(big.body, "");
        for (int i = 0; i < 50; i++) {
                ck_assert(run_until(loop, answered, &many[i], 10000));
                ck_assert_msg(many[i].status == 200, "%d: %ld %s", i, many[i].status,
                              many[i].error);
        }
        ck_assert_int_eq(cancelled.calls, 0);
        /* Freed with requests in flight: no callback. */
        sl_http_get(c, "http://localhost/_ping", 0, NULL, on_done, &cancelled);
        sl_http_client_free(c);
        ck_assert_int_eq(cancelled.calls, 0);
}
END_TEST

START_TEST(no_server_is_an_error_without_status)
{
        char *none = sl_path_join(dir, "none.sock");
        struct sl_http_client_options o = { .unix_socket = none };
        struct sl_http_client *c = sl_http_client_new(loop, &o);
        struct answer a = { 0 };

        sl_http_get(c, "http://localhost/_ping", 0, NULL, on_done, &a);
        ck_assert(run_until(loop, answered, &a, 10000));
        ck_assert_int_eq(a.status, 0);
        ck_assert(a.error[0] != '\0');
        sl_http_client_free(c);
        free(none);
}
END_TEST

START_TEST(query_escape)
{
        struct sl_buf b;

        sl_buf_init(&b, 1024);
        ck_assert_int_eq(sl_http_query_escape(SL_STR_LIT("{\"name\":[\"a b\"]}~-_.é"), &b), 0);
        ck_assert_str_eq(b.data, "%7B%22name%22%3A%5B%22a%20b%22%5D%7D~-_.%C3%A9");
        sl_buf_release(&b);
}
END_TEST

static Suite *http_client_suite(void) {
        Suite *s = suite_create("http-client");
        TCase *tc = tcase_create("http-client");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, get_over_a_unix_socket);
        tcase_add_test(tc, body_cap_cancel_and_many_in_flight);
        tcase_add_test(tc, no_server_is_an_error_without_status);
        tcase_add_test(tc, query_escape);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(http_client_suite)
