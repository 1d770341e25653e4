/* http-client.c - see http-client.h.
 *
 * Finished transfers are collected from curl first and answered after, so
 * a done callback that starts or cancels requests never touches a transfer
 * curl is still reporting on; a request cancelled while its answer waits
 * in that batch is marked and freed without being answered.
 */
#include "discovery/http-client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/curl-loop.h"
#include "base/fs-util.h"
#include "base/time-util.h"
#include "base/xalloc.h"

#define DEFAULT_TIMEOUT_NS (30 * SL_NSEC_PER_SEC)
#define DEFAULT_CONNECT_NS (10 * SL_NSEC_PER_SEC)
#define DEFAULT_MAX_BODY (64u << 20)
#define TOKEN_MAX 65536

struct sl_http_request {
        struct sl_http_client *c;       /* borrowed back-pointer */
        CURL *easy;                     /* owned */
        struct curl_slist *headers;     /* owned */
        struct curl_slist *connect_to;  /* owned; with server_name */
        struct sl_buf body;             /* buffered body (unused when streamed) */
        sl_http_data_fn data;           /* NULL: buffered */
        sl_http_done_fn done;
        void *userdata;                 /* borrowed */
        char error[CURL_ERROR_SIZE];    /* curl's message */
        bool too_big;                   /* the body passed max_body */
        bool stopped;                   /* the data callback ended it */
        bool finished;                  /* out of curl, its answer pending */
        bool cancelled;                 /* cancelled while its answer was pending */
        bool not_started;               /* curl refused it: answered by the timer */
        struct sl_http_request *prev, *next;
};

struct sl_http_client {
        struct sl_loop *loop;           /* borrowed */
        struct sl_curl_loop curl;       /* owned: the multi handle on the loop */
        bool curl_global;               /* curl_global_init() succeeded */
        struct sl_http_request *requests; /* owned list, in flight */
        size_t n_requests;
        /* options, copied */
        char *unix_socket, *ca_file, *cert_file, *key_file, *server_name;
        char *ca_pem, *cert_pem, *key_pem;
        char *bearer_token_file, *bearer_token, *user_agent;
        bool insecure;
        uint64_t timeout_ns, connect_timeout_ns;
        size_t max_body;
};

static char *dup_opt(const char *s) {
        return s ? sl_xstrdup(s) : NULL;
}

static void request_free(struct sl_http_request *r) {
        curl_easy_cleanup(r->easy);
        curl_slist_free_all(r->headers);
        curl_slist_free_all(r->connect_to);
        sl_buf_release(&r->body);
        free(r);
}

static void unlink_request(struct sl_http_client *c, struct sl_http_request *r) {
        if (r->prev)
                r->prev->next = r->next;
        else
                c->requests = r->next;
        if (r->next)
                r->next->prev = r->prev;
        r->prev = r->next = NULL;
        c->n_requests--;
}

/* ---- driving curl from the loop -------------------------------------------- */

/* sl_curl_loop's done callback: answers the requests that ended. */
static void check_done(void *userdata) {
        struct sl_http_client *c = userdata;
        struct sl_http_request **done = NULL;
        CURLcode *results = NULL;
        size_t n = 0, cap = 0, cap_r = 0;
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(sl_curl_loop_multi(&c->curl), &left))) {
                struct sl_http_request *r = NULL;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
                sl_xgrow((void **)&done, sizeof(*done), &cap, n + 1);
                sl_xgrow((void **)&results, sizeof(*results), &cap_r, n + 1);
                done[n] = r;
                results[n++] = msg->data.result;
        }
        /* Requests curl never took are answered here too. */
        for (struct sl_http_request *r = c->requests; r; r = r->next) {
                if (!r->not_started)
                        continue;
                sl_xgrow((void **)&done, sizeof(*done), &cap, n + 1);
                sl_xgrow((void **)&results, sizeof(*results), &cap_r, n + 1);
                done[n] = r;
                results[n++] = CURLE_FAILED_INIT;
        }
        for (size_t i = 0; i < n; i++) {
                if (!done[i]->not_started)
                        curl_multi_remove_handle(sl_curl_loop_multi(&c->curl), done[i]->easy);
                unlink_request(c, done[i]);
                done[i]->finished = true;
        }
        for (size_t i = 0; i < n; i++) {
                struct sl_http_request *r = done[i];
                long status = 0;
                const char *error = NULL;
                char why[96];

                if (!r->cancelled) {
                        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
                        if (r->too_big) {
                                snprintf(why, sizeof(why), "answer larger than %zu bytes",
                                         c->max_body);
                                error = why;
                        } else if (r->stopped) {
                                error = "stopped by the reader";
                        } else if (results[i] != CURLE_OK) {
                                error = r->error[0] ? r->error : curl_easy_strerror(results[i]);
                                status = 0;
                        }
                        r->done(r->userdata, status,
                                r->data || error ? SL_STR_NULL : sl_buf_str(&r->body), error);
                }
                request_free(r);
        }
        free(done);
        free(results);
}

static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
        struct sl_http_request *r = userdata;
        size_t len = size * n;

        if (r->data) {
                long status = 0;

                curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
                if (!r->data(r->userdata, status, sl_str_from(p, len))) {
                        r->stopped = true;
                        return 0;
                }
                return len;
        }
        if (sl_buf_append(&r->body, p, len) < 0) {
                r->too_big = true;
                return 0;
        }
        return len;
}

/* ---- the API ----------------------------------------------------------------- */

struct sl_http_client *sl_http_client_new(struct sl_loop *loop,
                                          const struct sl_http_client_options *o) {
        struct sl_http_client *c = sl_xnew(struct sl_http_client);

        c->loop = loop;
        c->unix_socket = dup_opt(o->unix_socket);
        c->ca_file = dup_opt(o->ca_file);
        c->cert_file = dup_opt(o->cert_file);
        c->key_file = dup_opt(o->key_file);
        c->server_name = dup_opt(o->server_name);
        c->ca_pem = dup_opt(o->ca_pem);
        c->cert_pem = dup_opt(o->cert_pem);
        c->key_pem = dup_opt(o->key_pem);
        c->bearer_token_file = dup_opt(o->bearer_token_file);
        c->bearer_token = dup_opt(o->bearer_token);
        c->user_agent = dup_opt(o->user_agent);
        c->insecure = o->insecure_skip_verify;
        c->timeout_ns = o->timeout_ns ? o->timeout_ns : DEFAULT_TIMEOUT_NS;
        c->connect_timeout_ns = o->connect_timeout_ns ? o->connect_timeout_ns : DEFAULT_CONNECT_NS;
        c->max_body = o->max_body ? o->max_body : DEFAULT_MAX_BODY;
        c->curl_global = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
        if (sl_curl_loop_init(&c->curl, loop, check_done, c) < 0)
                abort(); /* out of memory */
        return c;
}

void sl_http_client_free(struct sl_http_client *c) {
        if (!c)
                return;
        while (c->requests) {
                struct sl_http_request *r = c->requests;
                if (!r->not_started)
                        curl_multi_remove_handle(sl_curl_loop_multi(&c->curl), r->easy);
                unlink_request(c, r);
                request_free(r);
        }
        sl_curl_loop_release(&c->curl);
        if (c->curl_global)
                curl_global_cleanup();
        free(c->unix_socket);
        free(c->ca_file);
        free(c->cert_file);
        free(c->key_file);
        free(c->server_name);
        free(c->ca_pem);
        free(c->cert_pem);
        free(c->key_pem);
        free(c->bearer_token_file);
        free(c->bearer_token);
        free(c->user_agent);
        free(c);
}

/* The bearer token: from the file (read now: tokens are rotated), else
 * the one given; NULL when there is none (or the file cannot be read: the
 * API then answers 401, which the caller reports). New string. */
static char *bearer(const struct sl_http_client *c) {
        char *data = NULL;
        size_t len = 0;

        if (c->bearer_token_file) {
                if (sl_read_file(c->bearer_token_file, TOKEN_MAX, &data, &len) < 0)
                        return NULL;
                while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
                                   data[len - 1] == ' '))
                        data[--len] = '\0';
                return data;
        }
        return dup_opt(c->bearer_token);
}

/* With server_name: the URL names that host (what the certificate is
 * checked against) and curl connects to the original one. */
static void set_server_name(struct sl_http_request *r, const char *url) {
        struct sl_http_client *c = r->c;
        CURLU *u = curl_url();
        char *host = NULL, *port = NULL, *rewritten = NULL, *connect_to = NULL;

        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
            curl_url_set(u, CURLUPART_HOST, c->server_name, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_URL, &rewritten, 0) == CURLUE_OK) {
                connect_to = sl_xasprintf("%s:%s:%s:%s", c->server_name, port, host, port);
                r->connect_to = curl_slist_append(NULL, connect_to);
                curl_easy_setopt(r->easy, CURLOPT_URL, rewritten);
                curl_easy_setopt(r->easy, CURLOPT_CONNECT_TO, r->connect_to);
        }
        free(connect_to);
        curl_free(host);
        curl_free(port);
        curl_free(rewritten);
        curl_url_cleanup(u);
}

struct sl_http_request *sl_http_get(struct sl_http_client *c, const char *url,
                                    uint64_t timeout_ns, sl_http_data_fn data,
                                    sl_http_done_fn done, void *userdata) {
        struct sl_http_request *r = sl_xnew(struct sl_http_request);
        _cleanup_free_ char *token = bearer(c);
        long timeout_ms;

        r->c = c;
        r->data = data;
        r->done = done;
        r->userdata = userdata;
        sl_buf_init(&r->body, c->max_body);
        r->easy = curl_easy_init();
        if (!r->easy)
                abort(); /* out of memory */
        timeout_ms = (long)((data ? timeout_ns : (timeout_ns ? timeout_ns : c->timeout_ns)) /
                            SL_NSEC_PER_MSEC);
        r->headers = curl_slist_append(NULL, "Accept: application/json");
        if (token) {
                _cleanup_free_ char *h = sl_xasprintf("Authorization: Bearer %s", token);
                r->headers = curl_slist_append(r->headers, h);
        }
        curl_easy_setopt(r->easy, CURLOPT_URL, url);
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
        curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
        curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS,
                         (long)(c->connect_timeout_ns / SL_NSEC_PER_MSEC));
        curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->error);
        curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
        if (c->user_agent)
                curl_easy_setopt(r->easy, CURLOPT_USERAGENT, c->user_agent);
        if (c->unix_socket)
                curl_easy_setopt(r->easy, CURLOPT_UNIX_SOCKET_PATH, c->unix_socket);
        if (c->ca_file)
                curl_easy_setopt(r->easy, CURLOPT_CAINFO, c->ca_file);
        if (c->cert_file) {
                curl_easy_setopt(r->easy, CURLOPT_SSLCERT, c->cert_file);
                curl_easy_setopt(r->easy, CURLOPT_SSLKEY, c->key_file);
        }
        if (c->ca_pem) {
                struct curl_blob b = { c->ca_pem, strlen(c->ca_pem), CURL_BLOB_COPY };
                curl_easy_setopt(r->easy, CURLOPT_CAINFO_BLOB, &b);
        }
        if (c->cert_pem && c->key_pem) {
                struct curl_blob cb = { c->cert_pem, strlen(c->cert_pem), CURL_BLOB_COPY };
                struct curl_blob kb = { c->key_pem, strlen(c->key_pem), CURL_BLOB_COPY };
                curl_easy_setopt(r->easy, CURLOPT_SSLCERT_BLOB, &cb);
                curl_easy_setopt(r->easy, CURLOPT_SSLCERTTYPE, "PEM");
                curl_easy_setopt(r->easy, CURLOPT_SSLKEY_BLOB, &kb);
                curl_easy_setopt(r->easy, CURLOPT_SSLKEYTYPE, "PEM");
        }
        if (c->insecure) {
                curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 0L);
                curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (c->server_name)
                set_server_name(r, url);
        r->next = c->requests;
        if (c->requests)
                c->requests->prev = r;
        c->requests = r;
        c->n_requests++;
        if (curl_multi_add_handle(sl_curl_loop_multi(&c->curl), r->easy) != CURLM_OK) {
                /* Answered from the loop, never from here: the timer, now. */
                snprintf(r->error, sizeof(r->error), "cannot start the request");
                r->not_started = true;
                sl_curl_loop_kick(&c->curl);
        }
        return r;
}

void sl_http_cancel(struct sl_http_client *c, struct sl_http_request *r) {
        if (!r)
                return;
        if (r->finished) {
                r->cancelled = true; /* freed by the batch answering it */
                return;
        }
        if (!r->not_started)
                curl_multi_remove_handle(sl_curl_loop_multi(&c->curl), r->easy);
        unlink_request(c, r);
        request_free(r);
}

size_t sl_http_client_in_flight(const struct sl_http_client *c) {
        return c->n_requests;
}

int sl_http_query_escape(struct sl_str s, struct sl_buf *out) {
        static const char hex[] = "0123456789ABCDEF";

        for (size_t i = 0; i < s.len; i++) {
                unsigned char ch = (unsigned char)s.ptr[i];
                char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
                bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                             (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
                             ch == '~';

                if (plain ? sl_buf_putc(out, (char)ch) < 0 : sl_buf_append(out, e, 3) < 0)
                        return -ENOBUFS;
        }
        return 0;
}
