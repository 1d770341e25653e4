/* test-tls-lib.c - tls-lib: OpenSSL's error texts are left out only for a
 * process that will not speak TLS, and libcurl still starts either way.
 * Each case runs in a child of its own: OpenSSL sets up once per process. */
#include <check.h>
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sl-test.h"
#include "base/tls-lib.h"

static bool curl_on_openssl(void) {
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        return v && v->ssl_version && strncmp(v->ssl_version, "OpenSSL/", 8) == 0;
}

/* In a child: sl_tls_lib_init(@tls), then libcurl's own start. Returns a
 * mask of what went wrong (0: nothing). */
static int run_child(bool tls) {
        pid_t pid = fork();
        int status;

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                /* A text of libcrypto's table, which libcurl's start loads
                 * (libssl's own table is loaded at the first connection). */
                unsigned long in_hash = ERR_PACK(ERR_LIB_X509, 0, X509_R_CERT_ALREADY_IN_HASH_TABLE);
                const char *text;
                int bad = 0;

                sl_tls_lib_init(tls);
                if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                        bad |= 1;
                if (sl_tls_lib_error_texts() != tls)
                        bad |= 2;
                text = ERR_reason_error_string(in_hash);
                if ((text != NULL) != tls)
                        bad |= 4;
                if (tls && (!text || strcmp(text, "cert already in hash table") != 0))
                        bad |= 8;
                curl_global_cleanup();
                _exit(bad);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        return WEXITSTATUS(status);
}

START_TEST(texts_kept_for_tls) {
        ck_assert_int_eq(run_child(true), 0);
}
END_TEST

START_TEST(texts_left_out_without_tls) {
        if (!curl_on_openssl())
                return; /* another TLS library: nothing is left out */
        ck_assert_int_eq(run_child(false), 0);
}
END_TEST

static Suite *tls_lib_suite(void) {
        Suite *s = suite_create("tls-lib");
        TCase *tc = tcase_create("tls-lib");

        tcase_add_test(tc, texts_kept_for_tls);
        tcase_add_test(tc, texts_left_out_without_tls);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(tls_lib_suite)
