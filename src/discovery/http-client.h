/* http-client.h - GET requests to an API on the loop, for discovery: the
 * Docker Engine API (often over a unix socket) and the Kubernetes API
 * (TLS, bearer token, long-lived watch requests).
 *
 * libcurl's multi socket API, driven by the loop (base/curl-loop.h: curl's
 * sockets registered with sl_loop_add_fd(), its timeout one struct
 * sl_timer); nothing blocks. Several requests may be in flight; each is
 * answered once through its done callback, from a loop callback (never
 * from inside sl_http_get()). A request is either buffered (the body, up
 * to max_body bytes, handed to done) or streamed (each piece of the body
 * handed to a data callback as it arrives, for watches).
 *
 * Owns: the multi handle (an sl_curl_loop, with the socket registrations
 * and the timer), every request's easy handle and buffer, the header list.
 * Borrows: the loop.
 * Calling sequence:
 *   sl_http_client_new()      copies its options; connects nothing
 *   sl_http_get()             starts a request (any number)
 *   ... done (and data) callbacks from the loop ...
 *   sl_http_cancel()          drops a request without calling back
 *   sl_http_client_free()     drops every request without calling back
 * Callbacks may start and cancel other requests; they must not free the
 * client nor cancel their own request.
 * Threading: loop thread only.
 */
#ifndef SL_DISCOVERY_HTTP_CLIENT_H
#define SL_DISCOVERY_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/loop.h"
#include "base/str.h"

struct sl_http_client_options {
        const char *unix_socket;        /* connect to this socket (URLs still name a host) */
        const char *ca_file;            /* NULL: the system's CAs */
        const char *cert_file;          /* client certificate, with key_file */
        const char *key_file;
        const char *ca_pem;             /* or the CA certificates themselves (PEM) */
        const char *cert_pem;           /* or the client certificate (PEM) */
        const char *key_pem;            /* and its key (PEM) */
        const char *server_name;        /* the name the certificate must have; NULL: the URL's */
        bool insecure_skip_verify;
        const char *bearer_token_file;  /* Authorization: Bearer <its content>, read at each
                                         * request (a rotated token is picked up) */
        const char *bearer_token;       /* or this token */
        uint64_t timeout_ns;            /* a buffered request's limit (0: 30 s) */
        uint64_t connect_timeout_ns;    /* 0: 10 s */
        size_t max_body;                /* a buffered body's cap (0: 64 MiB) */
        const char *user_agent;
};

/* @status: the HTTP status, 0 when there was no answer (@error says why:
 * curl's message). @body: the buffered body (empty for a streamed request
 * or when it passed max_body: then @error is set), borrowed for the call. */
typedef void (*sl_http_done_fn)(void *userdata, long status, struct sl_str body,
                                const char *error);
/* A piece of a streamed body. Return false to end the request (done is then
 * called with an error). */
typedef bool (*sl_http_data_fn)(void *userdata, long status, struct sl_str piece);

struct sl_http_client;
struct sl_http_request;

struct sl_http_client *sl_http_client_new(struct sl_loop *loop,
                                          const struct sl_http_client_options *opts);
void sl_http_client_free(struct sl_http_client *c);
SL_DEFINE_CLEANUP(struct sl_http_client *, sl_http_client_free)

/* GETs @url. With @data, the body is streamed to it and the request has no
 * time limit but @timeout_ns (0: none); without, it is buffered for @done.
 * Returns the request (owned by the client until done or cancel). */
struct sl_http_request *sl_http_get(struct sl_http_client *c, const char *url,
                                    uint64_t timeout_ns, sl_http_data_fn data,
                                    sl_http_done_fn done, void *userdata);
void sl_http_cancel(struct sl_http_client *c, struct sl_http_request *r);
/* Requests in flight. */
size_t sl_http_client_in_flight(const struct sl_http_client *c);

/* Appends @s to @out percent-encoded for a URL's query (RFC 3986
 * unreserved characters kept). Returns 0 or -ENOBUFS. */
struct sl_buf;
int sl_http_query_escape(struct sl_str s, struct sl_buf *out);

#endif
