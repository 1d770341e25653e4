/* tls-lib.h - how much of libcurl's TLS library to set up.
 *
 * libcurl initialises its TLS library (OpenSSL on Debian) in full at
 * curl_global_init(), whether or not anything will speak TLS. Most of
 * OpenSSL's part that can be left out is its table of error texts: about
 * 0.6 MiB of resident memory in every sidecar. A sluice whose config only
 * ever speaks plain HTTP (every client URL and proxy http://, no Kubernetes
 * API, Docker over its socket) has no TLS error to explain, so it asks
 * OpenSSL not to load them.
 *
 * OpenSSL loads a table once per process and never after being told not
 * to: if a reloaded config starts using TLS, its errors are reported by
 * OpenSSL's codes (such as "error:0A000086::reason(134)", which
 * `openssl errstr 0A000086` explains) until sluice restarts;
 * sl_tls_lib_error_texts() tells so.
 *
 * Calling sequence: sl_tls_lib_init() once, before the first
 * curl_global_init() (or anything else using OpenSSL). With another TLS
 * library under libcurl it does nothing.
 * Threading: main thread, before any other.
 */
#ifndef SL_BASE_TLS_LIB_H
#define SL_BASE_TLS_LIB_H

#include <stdbool.h>

/* Sets up the TLS library for a process that will (@tls true) or will not
 * speak TLS. */
void sl_tls_lib_init(bool tls);

/* Whether TLS errors will be reported with their texts: true unless
 * sl_tls_lib_init(false) left them out. */
bool sl_tls_lib_error_texts(void);

#endif
