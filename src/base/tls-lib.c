/* tls-lib.c - see tls-lib.h. */
#include "base/tls-lib.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <string.h>

static bool texts_left_out;

void sl_tls_lib_init(bool tls) {
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

        if (tls || !v || !v->ssl_version || strncmp(v->ssl_version, "OpenSSL/", 8) != 0)
                return;
        /* Everything else libcurl asks of OpenSSL (its config file, the
         * engines) is still done, by libcurl. */
        if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS,
                             NULL) == 1)
                texts_left_out = true;
}

bool sl_tls_lib_error_texts(void) {
        return !texts_left_out;
}
