/* test-loki-client.c - the Loki client against a real HTTP server.
 *
 * The server (libmicrohttpd, its own thread) answers a scripted sequence of
 * statuses and records what it received; a real sl_loop drives the client.
 * Every wait is bounded in time and iterations; nothing sleeps. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/time-util.h"
#include "core/entry.h"
#include "push.pb-c.h"
#include "ship/batcher.h"
#include "ship/loki-client.h"
#include "sl-test.h"

#define MAX_STEPS 16
#define MAX_SEEN 32

/* ---- the scripted server ------------------------------------------------ */

struct step {
        int status;              /* status to answer */
        const char *body;        /* response body; NULL = none */
        const char *retry_after; /* Retry-After header; NULL = none; "@+N": the
                                  * date N seconds after the answer is made */
};

struct seen {
        char method[8];          /* request method */
        char url[64];            /* request path */
        char content_type[64];   /* Content-Type, "" if absent */
        char user_agent[64];     /* User-Agent, "" if absent */
        char org_id[64];         /* X-Scope-OrgID */
        bool has_org_id;         /* X-Scope-OrgID present */
        char custom[64];         /* CF-Access-Client-Id (a configured header) */
        bool has_custom;         /* CF-Access-Client-Id present */
        bool has_empty;          /* X-Empty present (configured with an empty value) */
        char authorization[128]; /* Authorization, "" if absent */
        bool has_encoding;       /* Content-Encoding present (must not be) */
        size_t body_len;         /* compressed body bytes */
        long entries;            /* entries decoded; -1 = body did not decode */
        char first_line[32];     /* first entry's line */
        char lines[512];         /* every entry's line, in body order, each followed by ' ' */
        char metadata[512];      /* every entry's "name=value" metadata pairs, in body
                                  * order, each followed by ' ' */
        int status;              /* status answered */
        uint64_t at_ns;          /* monotonic time the request was complete */
        int64_t at_wall_ns;      /* wall-clock time of the same moment */
        int64_t retry_date_s;    /* the date answered for an "@+N" step, else 0 */
};

struct server {
        struct MHD_Daemon *daemon;  /* owned */
        uint16_t port;              /* bound port */
        pthread_mutex_t lock;       /* guards what follows */
        struct step steps[MAX_STEPS]; /* answers, in order; then 204 */
        size_t n_steps;
        size_t next_step;
        struct seen seen[MAX_SEEN]; /* requests received */
        size_t n_seen;
        unsigned connections;       /* TCP connections accepted */
        char *tls_key;              /* owned PEM, when serving TLS */
        char *tls_cert;             /* owned PEM */
};

struct upload {
        char *data;  /* body received so far */
        size_t len;
};

static void copy_header(struct MHD_Connection *conn, const char *name, char *dst, size_t size,
                        bool *present) {
        const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
        snprintf(dst, size, "%s", v ? v : "");
        if (present)
                *present = v != NULL;
}

/* Decodes a push body like Loki: snappy block, then protobuf. */
static void decode_body(const struct upload *up, struct seen *s) {
        size_t raw_len;
        char *raw;
        Logproto__PushRequest *req;

        s->entries = -1;
        if (snappy_uncompressed_length(up->data, up->len, &raw_len) != SNAPPY_OK)
                return;
        raw = malloc(raw_len ? raw_len : 1);
        if (snappy_uncompress(up->data, up->len, raw, &raw_len) == SNAPPY_OK) {
                req = logproto__push_request__unpack(NULL, raw_len, (const uint8_t *)raw);
                if (req) {
                        s->entries = 0;
                        for (size_t i = 0; i < req->n_streams; i++)
                                s->entries += (long)req->streams[i]->n_entries;
                        if (req->n_streams && req->streams[0]->n_entries) {
                                ProtobufCBinaryData l = req->streams[0]->entries[0]->line;
                                snprintf(s->first_line, sizeof(s->first_line), "%.*s", (int)l.len,
                                         (const char *)l.data);
                        }
                        for (size_t i = 0; i < req->n_streams; i++)
                                for (size_t j = 0; j < req->streams[i]->n_entries; j++) {
                                        ProtobufCBinaryData l = req->streams[i]->entries[j]->line;
                                        size_t at = strlen(s->lines);
                                        snprintf(s->lines + at, sizeof(s->lines) - at, "%.*s ",
                                                 (int)l.len, (const char *)l.data);
                                        for (size_t k = 0; k < req->streams[i]->entries[j]->n_structuredmetadata; k++) {
                                                const Logproto__LabelPairAdapter *kv =
                                                        req->streams[i]->entries[j]->structuredmetadata[k];
                                                at = strlen(s->metadata);
                                                snprintf(s->metadata + at, sizeof(s->metadata) - at, "%.*s=%.*s ",
                                                         (int)kv->name.len, (const char *)kv->name.data,
                                                         (int)kv->value.len, (const char *)kv->value.data);
                                        }
                                }
                        logproto__push_request__free_unpacked(req, NULL);
                }
        }
        free(raw);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        struct server *srv = cls;
        struct upload *up = *con_cls;
        struct step step = { 204, NULL, NULL };
        struct seen *s = NULL;
        struct MHD_Response *resp;
        enum MHD_Result ret;
        char date[64];

        if (!up) {
                *con_cls = calloc(1, sizeof(struct upload));
                return MHD_YES;
        }
        if (*upload_data_size) {
                up->data = realloc(up->data, up->len + *upload_data_size);
                memcpy(up->data + up->len, upload_data, *upload_data_size);
                up->len += *upload_data_size;
                *upload_data_size = 0;
                return MHD_YES;
        }

        pthread_mutex_lock(&srv->lock);
        if (srv->n_seen < MAX_SEEN) {
                s = &srv->seen[srv->n_seen++];
                memset(s, 0, sizeof(*s));
                s->at_ns = sl_now_ns();
                s->at_wall_ns = sl_wall_ns();
                snprintf(s->method, sizeof(s->method), "%s", method);
                snprintf(s->url, sizeof(s->url), "%s", url);
                copy_header(conn, "Content-Type", s->content_type, sizeof(s->content_type), NULL);
                copy_header(conn, "User-Agent", s->user_agent, sizeof(s->user_agent), NULL);
                copy_header(conn, "X-Scope-OrgID", s->org_id, sizeof(s->org_id), &s->has_org_id);
                copy_header(conn, "CF-Access-Client-Id", s->custom, sizeof(s->custom),
                            &s->has_custom);
                s->has_empty = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Empty");
                copy_header(conn, "Authorization", s->authorization, sizeof(s->authorization),
                            NULL);
                s->has_encoding = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                              "Content-Encoding") != NULL;
                s->body_len = up->len;
                decode_body(up, s);
        }
        if (srv->next_step < srv->n_steps)
                step = srv->steps[srv->next_step++];
        if (step.retry_after && step.retry_after[0] == '@') {
                time_t when = time(NULL) + atoi(step.retry_after + 2);
                struct tm tm;

                gmtime_r(&when, &tm);
                strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
                step.retry_after = date;
                if (s)
                        s->retry_date_s = (int64_t)when;
        }
        if (s)
                s->status = step.status;
        pthread_mutex_unlock(&srv->lock);

        resp = MHD_create_response_from_buffer(step.body ? strlen(step.body) : 0,
                                               (void *)(step.body ? step.body : ""),
                                               MHD_RESPMEM_MUST_COPY);
        if (step.retry_after)
                MHD_add_response_header(resp, "Retry-After", step.retry_after);
        ret = MHD_queue_response(conn, (unsigned)step.status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
        struct upload *up = *con_cls;
        if (up) {
                free(up->data);
                free(up);
                *con_cls = NULL;
        }
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
        struct server *srv = cls;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                pthread_mutex_lock(&srv->lock);
                srv->connections++;
                pthread_mutex_unlock(&srv->lock);
        }
}

/* The test certificate (tests/data/tls), as a new string. */
static char *tls_file(const char *name) {
        char path[512];
        FILE *f;
        char *data = calloc(1, 16384);
        size_t n;

        snprintf(path, sizeof(path), "%s/tests/data/tls/%s", sl_test_source_root(), name);
        f = fopen(path, "r");
        ck_assert_msg(f, "cannot open %s", path);
        n = fread(data, 1, 16383, f);
        data[n] = '\0';
        fclose(f);
        return data;
}

static char *tls_path(const char *name) {
        char *path = malloc(512);
        snprintf(path, 512, "%s/tests/data/tls/%s", sl_test_source_root(), name);
        return path;
}

static struct server *server_start_opts(const struct step *steps, size_t n, uint16_t port,
                                        bool tls);

/* Starts a server on 127.0.0.1:@port (0: any port), answering @steps then
 * 204. The steps' strings are borrowed until the server stops. */
static struct server *server_start_on(const struct step *steps, size_t n, uint16_t port) {
        return server_start_opts(steps, n, port, false);
}

/* The same, over TLS with tests/data/tls/server.{crt,key} when @tls. */
static struct server *server_start_opts(const struct step *steps, size_t n, uint16_t port,
                                        bool tls) {
        struct server *srv = calloc(1, sizeof(*srv));
        struct sockaddr_in addr = { .sin_family = AF_INET };
        const union MHD_DaemonInfo *info;

        ck_assert_uint_le(n, MAX_STEPS);
        pthread_mutex_init(&srv->lock, NULL);
        if (n)
                memcpy(srv->steps, steps, n * sizeof(*steps));
        srv->n_steps = n;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        if (tls) {
                srv->tls_key = tls_file("server.key");
                srv->tls_cert = tls_file("server.crt");
                srv->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0,
                                               NULL, NULL, on_request, srv,
                                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                               MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                               MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                                               MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key,
                                               MHD_OPTION_HTTPS_MEM_CERT, srv->tls_cert,
                                               MHD_OPTION_END);
        } else {
                srv->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                               on_request, srv,
                                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                               MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                               MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                                               MHD_OPTION_END);
        }
        ck_assert_ptr_nonnull(srv->daemon);
        info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
        ck_assert_ptr_nonnull(info);
        srv->port = info->port;
        ck_assert_uint_ne(srv->port, 0);
        return srv;
}

static struct server *server_start(const struct step *steps, size_t n) {
        return server_start_on(steps, n, 0);
}

static void server_stop(struct server *srv) {
        if (!srv)
                return;
        MHD_stop_daemon(srv->daemon);
        free(srv->tls_key);
        free(srv->tls_cert);
        pthread_mutex_destroy(&srv->lock);
        free(srv);
}
SL_DEFINE_CLEANUP(struct server *, server_stop)

static size_t server_requests(struct server *srv) {
        size_t n;
        pthread_mutex_lock(&srv->lock);
        n = srv->n_seen;
        pthread_mutex_unlock(&srv->lock);
        return n;
}

/* A copy of request @i, taken under the lock. */
static struct seen server_seen(struct server *srv, size_t i) {
        struct seen s;
        pthread_mutex_lock(&srv->lock);
        ck_assert_uint_lt(i, srv->n_seen);
        s = srv->seen[i];
        pthread_mutex_unlock(&srv->lock);
        return s;
}

/* A socket on 127.0.0.1 bound to a free port. With @listening, connections
 * complete in the kernel but nobody ever answers; without, they are refused. */
static int dead_socket(bool listening, uint16_t *ret_port) {
        struct sockaddr_in addr = { .sin_family = AF_INET };
        socklen_t len = sizeof(addr);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        if (listening)
                ck_assert_int_eq(listen(fd, 1), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
        *ret_port = ntohs(addr.sin_port);
        return fd;
}

/* ---- the client side ---------------------------------------------------- */

struct done_rec {
        enum sl_push_outcome outcome; /* as reported */
        int status;                   /* as reported */
        char message[128];            /* copy of the message */
        size_t entries;               /* entries of the batch */
        char first_line[32];          /* first line of its first stream, "" if none */
        struct sl_push_report report; /* sl_loki_client_last_report() inside done() */
};

struct harness {
        struct sl_loop *loop;            /* owned */
        struct sl_loki_client *client;   /* owned */
        struct done_rec done[16];        /* done() calls, in order */
        size_t n_done;
        char url[96];                    /* the push URL */
        struct {
                const struct sl_batch *batch; /* as submitted (compared, not used) */
                char first_line[32];          /* its first line then */
        } submitted[64];                 /* submit() calls, in order */
        size_t n_submitted;
};

/* Submits @batch, noting its first line: the client may drop a queued
 * batch's lines (it keeps the encoded body), so done() tells the batch by
 * what was noted here. */
static void submit(struct harness *h, struct sl_batch *batch) {
        const struct sl_batch_stream *s;
        size_t n;

        ck_assert_uint_lt(h->n_submitted, SL_ARRAY_SIZE(h->submitted));
        h->submitted[h->n_submitted].batch = batch;
        s = sl_batch_streams(batch, &n);
        h->submitted[h->n_submitted].first_line[0] = '\0';
        if (n && s[0].n_entries)
                snprintf(h->submitted[h->n_submitted].first_line,
                         sizeof(h->submitted[h->n_submitted].first_line), "%s", s[0].entries[0].line.ptr);
        h->n_submitted++;
        sl_loki_client_submit(h->client, batch);
}

static void on_done(void *userdata, struct sl_batch *batch, enum sl_push_outcome outcome,
                    int status, const char *message) {
        struct harness *h = userdata;
        struct done_rec *d;

        ck_assert_ptr_nonnull(batch);
        ck_assert_ptr_nonnull(message);
        ck_assert_uint_lt(h->n_done, SL_ARRAY_SIZE(h->done));
        d = &h->done[h->n_done++];
        d->outcome = outcome;
        d->status = status;
        snprintf(d->message, sizeof(d->message), "%s", message);
        d->entries = sl_batch_entries(batch);
        d->first_line[0] = '\0';
        for (size_t i = 0; i < h->n_submitted; i++)
                if (h->submitted[i].batch == batch)
                        snprintf(d->first_line, sizeof(d->first_line), "%s", h->submitted[i].first_line);
        d->report = *sl_loki_client_last_report(h->client);
        /* The report accounts for every entry of the batch. */
        ck_assert_uint_eq(d->report.entries_sent + d->report.entries_refused +
                                  d->report.entries_gave_up,
                          d->entries);
        sl_batch_free(batch);
}

static struct sl_loki_client_options default_options(struct harness *h, uint16_t port) {
        snprintf(h->url, sizeof(h->url), "http://127.0.0.1:%u/loki/api/v1/push", port);
        return (struct sl_loki_client_options){
                .url = h->url,
                .user_agent = "sluice-test/1.0",
                .timeout_ns = 5 * SL_NSEC_PER_SEC,
                .backoff_min_ns = SL_NSEC_PER_MSEC,
                .backoff_max_ns = 10 * SL_NSEC_PER_MSEC,
                .max_retries = 0,
        };
}

static void harness_init(struct harness *h, const struct sl_loki_client_options *o) {
        h->loop = sl_loop_new();
        ck_assert_ptr_nonnull(h->loop);
        h->client = sl_loki_client_new(h->loop, o, on_done, h);
        ck_assert_ptr_nonnull(h->client);
        h->n_done = 0;
        h->n_submitted = 0;
}

static void harness_release(struct harness *h) {
        sl_loki_client_free(h->client);
        sl_loop_free(h->loop);
}

/* Runs the loop until @n batches are done or @timeout_ns passes. */
static bool run_until_done(struct harness *h, size_t n, uint64_t timeout_ns) {
        uint64_t end = sl_now_ns() + timeout_ns;

        for (unsigned i = 0; i < 100000 && h->n_done < n && sl_now_ns() < end; i++)
                ck_assert_int_eq(sl_loop_run_once(h->loop, 20 * SL_NSEC_PER_MSEC), 0);
        return h->n_done >= n;
}

/* A sealed batch of @n entries "<tag>-<i>" spread round-robin over
 * @n_streams streams {job="test"}, {job="test1"}, ..., opened at @now_ns;
 * with @n == 0, a batch holding only a mark. */
static struct sl_batch *make_batch_at(const char *tag, size_t n, size_t n_streams,
                                      uint64_t now_ns) {
        struct sl_batcher_options o = { .batchsize = UINT64_MAX, .batchwait_ns = 1000 };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
        struct sl_mark m = { .source_id = 1, .offset = 10 };
        struct sl_batch *b;
        struct sl_entry e;
        char line[32];

        char job[16];
        char trace[32];

        sl_entry_init(&e);
        for (size_t i = 0; i < n; i++) {
                sl_entry_reset(&e);
                snprintf(line, sizeof(line), "%s-%zu", tag, i);
                if (i % n_streams)
                        snprintf(job, sizeof(job), "test%zu", i % n_streams);
                else
                        snprintf(job, sizeof(job), "test");
                e.ts_ns = 1700000000000000000LL + (int64_t)i;
                e.line = sl_str_c(line);
                sl_kvs_set(&e.labels, SL_STR_LIT("job"), sl_str_c(job));
                if (i % 2) { /* structured metadata on every other entry */
                        snprintf(trace, sizeof(trace), "t%zu", i);
                        sl_kvs_set(&e.metadata, SL_STR_LIT("trace_id"), sl_str_c(trace));
                        sl_kvs_set(&e.metadata, SL_STR_LIT("span_id"), SL_STR_LIT("s"));
                }
                ck_assert_int_eq(sl_batcher_add(bt, &e, now_ns), 0);
        }
        sl_entry_release(&e);
        sl_batcher_mark(bt, &m, now_ns);
        b = sl_batcher_take(bt, now_ns, true);
        ck_assert_ptr_nonnull(b);
        return b;
}

static struct sl_batch *make_batch(const char *tag, size_t n) {
        return make_batch_at(tag, n, 1, 0);
}

struct status_count {
        int status;
        uint64_t count;
        bool found;
};

static void find_status(void *ud, int status, uint64_t count, const uint64_t *buckets,
                        size_t n_buckets, const double *bounds, double sum_seconds) {
        struct status_count *sc = ud;

        /* Histogram invariants: cumulative, ends at +Inf with the count. */
        ck_assert_uint_gt(n_buckets, 1);
        ck_assert(isinf(bounds[n_buckets - 1]));
        ck_assert_uint_eq(buckets[n_buckets - 1], count);
        for (size_t i = 1; i < n_buckets; i++) {
                ck_assert(bounds[i - 1] < bounds[i]);
                ck_assert_uint_le(buckets[i - 1], buckets[i]);
        }
        ck_assert(sum_seconds >= 0);
        if (status == sc->status) {
                sc->count = count;
                sc->found = true;
        }
}

static uint64_t status_count(struct sl_loki_client *c, int status) {
        struct status_count sc = { .status = status };
        sl_loki_client_foreach_status(c, find_status, &sc);
        return sc.found ? sc.count : 0;
}

/* How many times @line arrived in requests answered 2xx. */
static unsigned accepted_count(struct server *srv, const char *line) {
        unsigned n = 0;
        size_t len = strlen(line);

        pthread_mutex_lock(&srv->lock);
        for (size_t i = 0; i < srv->n_seen; i++) {
                const char *p = srv->seen[i].lines;
                if (srv->seen[i].status < 200 || srv->seen[i].status >= 300)
                        continue;
                while ((p = strstr(p, line))) {
                        if ((p == srv->seen[i].lines || p[-1] == ' ') && p[len] == ' ')
                                n++;
                        p += len;
                }
        }
        pthread_mutex_unlock(&srv->lock);
        return n;
}

/* Entries of all requests answered 2xx. */
static long accepted_total(struct server *srv) {
        long n = 0;

        pthread_mutex_lock(&srv->lock);
        for (size_t i = 0; i < srv->n_seen; i++)
                if (srv->seen[i].status >= 200 && srv->seen[i].status < 300)
                        n += srv->seen[i].entries;
        pthread_mutex_unlock(&srv->lock);
        return n;
}

/* Every entry "<tag>-<i>", i < @n, arrived exactly once. */
static void check_each_once(struct server *srv, const char *tag, size_t n) {
        char line[32];

        for (size_t i = 0; i < n; i++) {
                snprintf(line, sizeof(line), "%s-%zu", tag, i);
                ck_assert_msg(accepted_count(srv, line) == 1, "%s arrived %u times", line,
                              accepted_count(srv, line));
        }
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_sent_204) {
        _cleanup_(server_stopp) struct server *srv = server_start(NULL, 0);
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        const struct sl_loki_client_stats *st;
        struct sl_batch *b;
        uint64_t bytes;
        struct seen s;

        harness_init(&h, &o);
        b = make_batch("a", 3);
        bytes = sl_batch_bytes(b);
        submit(&h, b);
        b = NULL;
        /* Nothing happens inside submit. */
        ck_assert_uint_eq(h.n_done, 0);
        ck_assert_uint_eq(sl_loki_client_queued(h.client), 1);
        ck_assert_uint_eq(sl_loki_client_held_bytes(h.client), bytes);
        ck_assert(!sl_loki_client_idle(h.client));

        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_int_eq(h.done[0].status, 204);
        ck_assert_str_eq(h.done[0].message, "");
        ck_assert_uint_eq(h.done[0].entries, 3);
        ck_assert(sl_loki_client_idle(h.client));
        ck_assert_uint_eq(sl_loki_client_queued(h.client), 0);
        ck_assert_uint_eq(sl_loki_client_held_bytes(h.client), 0);

        ck_assert_uint_eq(server_requests(srv), 1);
        s = server_seen(srv, 0);
        ck_assert_str_eq(s.method, "POST");
        ck_assert_str_eq(s.url, "/loki/api/v1/push");
        ck_assert_str_eq(s.content_type, "application/x-protobuf");
        ck_assert_str_eq(s.user_agent, "sluice-test/1.0");
        ck_assert(!s.has_org_id);
        ck_assert(!s.has_encoding);
        ck_assert_int_eq(s.entries, 3);
        ck_assert_str_eq(s.first_line, "a-0");

        st = sl_loki_client_stats(h.client);
        ck_assert_uint_eq(st->requests, 1);
        ck_assert_uint_eq(st->retries, 0);
        ck_assert_uint_eq(st->batches_sent, 1);
        ck_assert_uint_eq(st->entries_sent, 3);
        ck_assert_uint_eq(st->bytes_sent, s.body_len);
        ck_assert_uint_eq(status_count(h.client, 204), 1);
        harness_release(&h);
}
END_TEST

START_TEST(test_tenant_header) {
        _cleanup_(server_stopp) struct server *srv = server_start(NULL, 0);
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        struct seen s;

        o.tenant_id = "team-a";
        harness_init(&h, &o);
        submit(&h, make_batch("t", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        s = server_seen(srv, 0);
        ck_assert(s.has_org_id);
        ck_assert_str_eq(s.org_id, "team-a");
        ck_assert_str_eq(s.content_type, "application/x-protobuf");
        harness_release(&h);
}
END_TEST

/* Configured headers are sent, but never over the ones the client sets
 * itself (Promtail's clients[].headers rule), whatever their case. */
START_TEST(test_custom_headers) {
        _cleanup_(server_stopp) struct server *srv = server_start(NULL, 0);
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        struct sl_kvs headers;
        struct seen s;

        sl_kvs_init(&headers);
        sl_kvs_set(&headers, SL_STR_LIT("CF-Access-Client-Id"), SL_STR_LIT("abc.access"));
        sl_kvs_set(&headers, SL_STR_LIT("X-Empty"), SL_STR_LIT(""));
        sl_kvs_set(&headers, SL_STR_LIT("user-agent"), SL_STR_LIT("not-sluice"));
        sl_kvs_set(&headers, SL_STR_LIT("Content-Type"), SL_STR_LIT("text/plain"));
        sl_kvs_set(&headers, SL_STR_LIT("x-scope-orgid"), SL_STR_LIT("other-tenant"));
        o.tenant_id = "team-a";
        o.headers = &headers;
        harness_init(&h, &o);
        sl_kvs_release(&headers); /* copied by _new */
        submit(&h, make_batch("h", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        s = server_seen(srv, 0);
        ck_assert(s.has_custom);
        ck_assert_str_eq(s.custom, "abc.access");
        ck_assert(s.has_empty);
        ck_assert_str_eq(s.user_agent, "sluice-test/1.0");
        ck_assert_str_eq(s.content_type, "application/x-protobuf");
        ck_assert_str_eq(s.org_id, "team-a");
        harness_release(&h);
}
END_TEST

/* Without a tenant, a configured X-Scope-OrgID is sent as Promtail sends it. */
START_TEST(test_custom_org_id_without_tenant) {
        _cleanup_(server_stopp) struct server *srv = server_start(NULL, 0);
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        struct sl_kvs headers;
        struct seen s;

        sl_kvs_init(&headers);
        sl_kvs_set(&headers, SL_STR_LIT("X-Scope-OrgID"), SL_STR_LIT("from-headers"));
        o.headers = &headers;
        harness_init(&h, &o);
        sl_kvs_release(&headers);
        submit(&h, make_batch("o", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        s = server_seen(srv, 0);
        ck_assert(s.has_org_id);
        ck_assert_str_eq(s.org_id, "from-headers");
        harness_release(&h);
}
END_TEST

/* A sealed batch of @n entries "<tag>-<i>" whose tenant (the tenant
 * stage's "__tenant_id__" label) is @tenants[i % @n_tenants] (NULL: none). */
static struct sl_batch *make_tenant_batch(const char *tag, size_t n, const char *const *tenants,
                                          size_t n_tenants) {
        struct sl_batcher_options o = { .batchsize = UINT64_MAX, .batchwait_ns = 1000 };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
        struct sl_batch *b;
        struct sl_entry e;
        char line[32];

        sl_entry_init(&e);
        for (size_t i = 0; i < n; i++) {
                sl_entry_reset(&e);
                snprintf(line, sizeof(line), "%s-%zu", tag, i);
                e.ts_ns = 1700000000000000000LL + (int64_t)i;
                e.line = sl_str_c(line);
                sl_kvs_set(&e.labels, SL_STR_LIT("job"), SL_STR_LIT("test"));
                if (tenants[i % n_tenants])
                        sl_kvs_set(&e.labels, SL_STR_LIT("__tenant_id__"),
                                   sl_str_c(tenants[i % n_tenants]));
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        }
        sl_entry_release(&e);
        b = sl_batcher_take(bt, 0, true);
        ck_assert_ptr_nonnull(b);
        return b;
}

/* Entries with tenants of their own (the tenant stage): one request per
 * tenant, each with its X-Scope-OrgID, the others with the client's
 * tenant_id; the batch is done once, when all are sent. */
START_TEST(test_tenant_per_entry) {
        static const char *const tenants[] = { "t1", NULL, "t2" };
        _cleanup_(server_stopp) struct server *srv = server_start(NULL, 0);
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        struct seen s;

        o.tenant_id = "team-a";
        harness_init(&h, &o);
        submit(&h, make_tenant_batch("x", 7, tenants, 3));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_uint_eq(server_requests(srv), 3);
        s = server_seen(srv, 0);
        ck_assert_str_eq(s.org_id, "t1");
        ck_assert_str_eq(s.lines, "x-0 x-3 x-6 ");
        s = server_seen(srv, 1);
        ck_assert_str_eq(s.org_id, "team-a");
        ck_assert_str_eq(s.lines, "x-1 x-4 ");
        s = server_seen(srv, 2);
        ck_assert_str_eq(s.org_id, "t2");
        ck_assert_str_eq(s.lines, "x-2 x-5 ");
        ck_assert_uint_eq(sl_loki_client_last_report(h.client)->entries_sent, 7);
        harness_release(&h);
}
END_TEST

/* Without tenant_id, entries without a tenant go without X-Scope-OrgID;
 * a part split after a 413 keeps its tenant. */
START_TEST(test_tenant_split_and_none) {
        static const char *const tenants[] = { NULL, "t9" };
        static const struct step steps[] = { { 204, NULL, NULL }, { 413, NULL, NULL } };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, 2);
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        struct seen s;

        harness_init(&h, &o);
        submit(&h, make_tenant_batch("y", 6, tenants, 2));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_uint_eq(server_requests(srv), 4);
        s = server_seen(srv, 0);
        ck_assert(!s.has_org_id);
        ck_assert_str_eq(s.lines, "y-0 y-2 y-4 ");
        s = server_seen(srv, 1);
        ck_assert_int_eq(s.status, 413);
        ck_assert_str_eq(s.org_id, "t9");
        s = server_seen(srv, 2);
        ck_assert_str_eq(s.org_id, "t9");
        ck_assert_str_eq(s.lines, "y-1 ");
        s = server_seen(srv, 3);
        ck_assert_str_eq(s.org_id, "t9");
        ck_assert_str_eq(s.lines, "y-3 y-5 ");
        harness_release(&h);
}
END_TEST

/* drop_rate_limited_batches: a 429 refuses the batch at once, no retry;
 * without it the same 429 is retried. */
START_TEST(test_drop_rate_limited) {
        static const struct step steps[] = { { 429, "Ingestion rate limit exceeded", NULL },
                                             { 429, "Ingestion rate limit exceeded", NULL } };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        const struct sl_loki_client_stats *st;

        o.drop_rate_limited = true;
        harness_init(&h, &o);
        submit(&h, make_batch("d", 3));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_REFUSED);
        ck_assert_int_eq(h.done[0].status, 429);
        ck_assert_str_eq(h.done[0].message, "Ingestion rate limit exceeded");
        st = sl_loki_client_stats(h.client);
        ck_assert_uint_eq(st->requests, 1);
        ck_assert_uint_eq(st->retries, 0);
        ck_assert_uint_eq(st->entries_refused, 3);
        ck_assert_uint_eq(sl_loki_client_last_report(h.client)->entries_refused, 3);
        harness_release(&h);

        /* The second scripted 429, to a client that retries: sent after it. */
        o.drop_rate_limited = false;
        harness_init(&h, &o);
        submit(&h, make_batch("k", 2));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_uint_eq(sl_loki_client_stats(h.client)->retries, 1);
        harness_release(&h);
}
END_TEST


/* ---- TLS, authentication, proxy ------------------------------------------- */

/* https with the server's certificate as the CA: sent; the same without a
 * CA that signs it: a connection error, retried, then given up. */
START_TEST(test_tls_ca_file) {
        _cleanup_(server_stopp) struct server *srv = server_start_opts(NULL, 0, 0, true);
        _cleanup_free_ char *ca = tls_path("server.crt");
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);

        snprintf(h.url, sizeof(h.url), "https://127.0.0.1:%u/loki/api/v1/push", srv->port);
        o.tls.ca_file = ca;
        o.tls.min_version = 12;
        harness_init(&h, &o);
        submit(&h, make_batch("s", 2));
        ck_assert(run_until_done(&h, 1, 10 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_int_eq(server_seen(srv, 0).entries, 2);
        harness_release(&h);

        o = default_options(&h, srv->port);
        snprintf(h.url, sizeof(h.url), "https://127.0.0.1:%u/loki/api/v1/push", srv->port);
        o.max_retries = 1;
        harness_init(&h, &o);
        submit(&h, make_batch("u", 1));
        ck_assert(run_until_done(&h, 1, 10 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_GAVE_UP);
        ck_assert_int_eq(h.done[0].status, 0);
        ck_assert_uint_eq(server_requests(srv), 1);
        harness_release(&h);
}
END_TEST

/* Inline PEM, and insecure_skip_verify without any CA. */
START_TEST(test_tls_inline_and_insecure) {
        _cleanup_(server_stopp) struct server *srv = server_start_opts(NULL, 0, 0, true);
        _cleanup_free_ char *pem = tls_file("server.crt");
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);

        snprintf(h.url, sizeof(h.url), "https://localhost:%u/loki/api/v1/push", srv->port);
        o.tls.ca = pem;
        harness_init(&h, &o);
        submit(&h, make_batch("p", 1));
        ck_assert(run_until_done(&h, 1, 10 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        harness_release(&h);

        o = default_options(&h, srv->port);
        snprintf(h.url, sizeof(h.url), "https://127.0.0.1:%u/loki/api/v1/push", srv->port);
        o.tls.insecure_skip_verify = true;
        harness_init(&h, &o);
        submit(&h, make_batch("i", 1));
        ck_assert(run_until_done(&h, 1, 10 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_uint_eq(server_requests(srv), 2);
        harness_release(&h);
}
END_TEST

/* basic_auth: sent with the first request (base64 of "promtail:s3cret"). */
START_TEST(test_basic_auth) {
        _cleanup_(server_stopp) struct server *srv = server_start(NULL, 0);
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);

        o.auth.basic = true;
        o.auth.username = "promtail";
        o.auth.password = "s3cret";
        harness_init(&h, &o);
        submit(&h, make_batch("b", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_uint_eq(server_requests(srv), 1);
        ck_assert_str_eq(server_seen(srv, 0).authorization, "Basic cHJvbXRhaWw6czNjcmV0");
        harness_release(&h);
}
END_TEST

/* Credentials from files are read again for each request, trimmed, so a
 * rotated token is used; a file that cannot be read fails the request,
 * which is retried. */
START_TEST(test_credentials_files) {
        _cleanup_(server_stopp) struct server *srv = server_start(NULL, 0);
        _cleanup_free_ char *dir = sl_test_tmpdir();
        _cleanup_free_ char *token = NULL, *pass = NULL;
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);

        token = malloc(strlen(dir) + 16);
        sprintf(token, "%s/token", dir);
        pass = malloc(strlen(dir) + 16);
        sprintf(pass, "%s/pass", dir);
        sl_test_write_file(token, "  first-token\n", 14);
        o.auth.type = "Bearer";
        o.auth.credentials_file = token;
        harness_init(&h, &o);
        submit(&h, make_batch("f", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        sl_test_write_file(token, "second-token", 12);
        submit(&h, make_batch("g", 1));
        ck_assert(run_until_done(&h, 2, 5 * SL_NSEC_PER_SEC));
        ck_assert_str_eq(server_seen(srv, 0).authorization, "Bearer first-token");
        ck_assert_str_eq(server_seen(srv, 1).authorization, "Bearer second-token");
        harness_release(&h);

        /* The password file appears only after the first attempt. */
        o = default_options(&h, srv->port);
        o.auth.basic = true;
        o.auth.username = "u";
        o.auth.password_file = pass;
        harness_init(&h, &o);
        submit(&h, make_batch("m", 1));
        for (int i = 0; i < 1000 && sl_loki_client_stats(h.client)->requests == 0; i++)
                ck_assert_int_eq(sl_loop_run_once(h.loop, 10 * SL_NSEC_PER_MSEC), 0);
        ck_assert_uint_eq(server_requests(srv), 2);
        ck_assert_uint_ge(sl_loki_client_stats(h.client)->retries, 1);
        sl_test_write_file(pass, "pw\n", 3);
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_str_eq(server_seen(srv, 2).authorization, "Basic dTpwdw==");
        harness_release(&h);
        sl_test_rmtree(dir);
}
END_TEST

/* proxy_url: the request goes to the proxy, with the absolute URL; no_proxy
 * naming the host bypasses it. The test server plays the proxy. */
START_TEST(test_proxy) {
        _cleanup_(server_stopp) struct server *proxy = server_start(NULL, 0);
        _cleanup_(server_stopp) struct server *loki = server_start(NULL, 0);
        char proxy_url[64];
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, loki->port);

        snprintf(proxy_url, sizeof(proxy_url), "http://127.0.0.1:%u", proxy->port);
        o.proxy.url = proxy_url;
        harness_init(&h, &o);
        submit(&h, make_batch("x", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_uint_eq(server_requests(proxy), 1);
        ck_assert_uint_eq(server_requests(loki), 0);
        ck_assert_msg(strncmp(server_seen(proxy, 0).url, "http://127.0.0.1:", 17) == 0, "%s",
                      server_seen(proxy, 0).url);
        harness_release(&h);

        o = default_options(&h, loki->port);
        o.proxy.url = proxy_url;
        o.proxy.no_proxy = "127.0.0.1";
        harness_init(&h, &o);
        submit(&h, make_batch("y", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_uint_eq(server_requests(proxy), 1);
        ck_assert_uint_eq(server_requests(loki), 1);
        harness_release(&h);
}
END_TEST

/* Without proxy_from_environment, http_proxy in the environment is not
 * used (Prometheus' client does not read it either). */
START_TEST(test_proxy_environment_ignored) {
        _cleanup_(server_stopp) struct server *proxy = server_start(NULL, 0);
        _cleanup_(server_stopp) struct server *loki = server_start(NULL, 0);
        char proxy_url[64];
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, loki->port);

        snprintf(proxy_url, sizeof(proxy_url), "http://127.0.0.1:%u", proxy->port);
        setenv("http_proxy", proxy_url, 1);
        unsetenv("no_proxy");
        unsetenv("NO_PROXY");
        harness_init(&h, &o);
        submit(&h, make_batch("e", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_uint_eq(server_requests(loki), 1);
        ck_assert_uint_eq(server_requests(proxy), 0);
        harness_release(&h);

        o = default_options(&h, loki->port);
        o.proxy.from_environment = true;
        harness_init(&h, &o);
        submit(&h, make_batch("v", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_uint_eq(server_requests(proxy), 1);
        harness_release(&h);
        unsetenv("http_proxy");
}
END_TEST

START_TEST(test_retry_5xx) {
        static const struct step steps[] = { { 503, "unavailable", NULL }, { 503, NULL, NULL }, { 204, NULL, NULL } };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        const struct sl_loki_client_stats *st;

        harness_init(&h, &o);
        submit(&h, make_batch("r", 2));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_int_eq(h.done[0].status, 204);

        st = sl_loki_client_stats(h.client);
        ck_assert_uint_eq(st->requests, 3);
        ck_assert_uint_eq(st->retries, 2);
        ck_assert_uint_eq(st->batches_sent, 1);
        ck_assert_uint_eq(st->entries_sent, 2);
        ck_assert_uint_eq(status_count(h.client, 503), 2);
        ck_assert_uint_eq(status_count(h.client, 204), 1);

        /* The same body each time, over one kept-alive connection. */
        ck_assert_uint_eq(server_requests(srv), 3);
        for (size_t i = 0; i < 3; i++) {
                struct seen s = server_seen(srv, i);
                ck_assert_int_eq(s.entries, 2);
                ck_assert_uint_eq(s.body_len, server_seen(srv, 0).body_len);
        }
        pthread_mutex_lock(&srv->lock);
        ck_assert_uint_eq(srv->connections, 1);
        pthread_mutex_unlock(&srv->lock);
        harness_release(&h);
}
END_TEST

/* Retry-After: 0 replaces a backoff far longer than the test's bound. */
START_TEST(test_retry_after_zero) {
        static const struct step steps[] = { { 429, "maximum active stream limit exceeded", "0" } };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);

        o.backoff_min_ns = 60 * SL_NSEC_PER_SEC;
        o.backoff_max_ns = 120 * SL_NSEC_PER_SEC;
        harness_init(&h, &o);
        submit(&h, make_batch("q", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_uint_eq(sl_loki_client_stats(h.client)->retries, 1);
        ck_assert_uint_eq(status_count(h.client, 429), 1);
        ck_assert_uint_eq(server_requests(srv), 2);
        harness_release(&h);
}
END_TEST

/* A Retry-After beyond backoff_max waits only backoff_max. */
START_TEST(test_retry_after_capped) {
        static const struct step steps[] = { { 503, NULL, "3600" } };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);

        harness_init(&h, &o);
        submit(&h, make_batch("c", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_uint_eq(sl_loki_client_stats(h.client)->retries, 1);
        harness_release(&h);
}
END_TEST

/* A 400 that names some streams is a partial acceptance (Loki stores what
 * passes its validation): only what it names is refused; the rest is sent.
 * Messages as Loki 3.4 writes them. */
START_TEST(test_refused_400_in_part) {
        static const struct step steps[] = {
                { 400, "1 errors like: stream '{job=\"test1\"}' has label value too long: 'xxx'; "
                       "1 errors like: entry for stream '{job=\"test2\"}' has timestamp too old: "
                       "1970-01-01T00:00:00Z, oldest acceptable timestamp is: 2026-01-01T00:00:00Z\n", NULL },
        };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        const struct sl_loki_client_stats *st;

        harness_init(&h, &o);
        /* 9 entries over {job="test"}, {job="test1"}, {job="test2"}: 3 each. */
        submit(&h, make_batch_at("p", 9, 3, 0));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_REFUSED);
        ck_assert_int_eq(h.done[0].status, 400);
        ck_assert_uint_eq(h.done[0].report.entries_refused, 4);
        ck_assert_uint_eq(h.done[0].report.entries_sent, 5);
        ck_assert_uint_eq(server_requests(srv), 1);
        st = sl_loki_client_stats(h.client);
        ck_assert_uint_eq(st->entries_refused, 4);
        ck_assert_uint_eq(st->entries_dropped, 4);
        ck_assert_uint_eq(st->entries_sent, 5);
        ck_assert_uint_eq(st->batches_refused, 1);
        harness_release(&h);
}
END_TEST

START_TEST(test_refused_400) {
        static const struct step steps[] = {
                { 400, "entry too far behind for stream '{job=\"test\"}'\n", NULL },
        };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        const struct sl_loki_client_stats *st;

        harness_init(&h, &o);
        submit(&h, make_batch("bad", 4));
        submit(&h, make_batch("good", 1));
        ck_assert(run_until_done(&h, 2, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_REFUSED);
        ck_assert_int_eq(h.done[0].status, 400);
        ck_assert_str_eq(h.done[0].message, "entry too far behind for stream '{job=\"test\"}'");
        ck_assert_str_eq(h.done[0].first_line, "bad-0");
        ck_assert_int_eq(h.done[1].outcome, SL_PUSH_SENT);
        ck_assert_str_eq(h.done[1].first_line, "good-0");

        /* Not retried: one request per batch. */
        ck_assert_uint_eq(server_requests(srv), 2);
        st = sl_loki_client_stats(h.client);
        ck_assert_uint_eq(st->retries, 0);
        ck_assert_uint_eq(st->batches_refused, 1);
        ck_assert_uint_eq(st->entries_dropped, 4);
        ck_assert_uint_eq(st->batches_sent, 1);
        ck_assert_uint_eq(st->entries_sent, 1);
        harness_release(&h);
}
END_TEST

/* 260: ingestion blocked by policy, final like any 2xx. */
START_TEST(test_260_is_sent) {
        static const struct step steps[] = { { 260, NULL, NULL } };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);

        harness_init(&h, &o);
        submit(&h, make_batch("p", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_int_eq(h.done[0].status, 260);
        ck_assert_uint_eq(sl_loki_client_stats(h.client)->retries, 0);
        ck_assert_uint_eq(server_requests(srv), 1);
        harness_release(&h);
}
END_TEST

START_TEST(test_connection_refused_gives_up) {
        struct harness h;
        uint16_t port;
        _cleanup_close_ int fd = dead_socket(false, &port);
        struct sl_loki_client_options o = default_options(&h, port);
        const struct sl_loki_client_stats *st;

        o.max_retries = 2;
        harness_init(&h, &o);
        submit(&h, make_batch("x", 2));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_GAVE_UP);
        ck_assert_int_eq(h.done[0].status, 0);
        ck_assert_str_ne(h.done[0].message, "");
        st = sl_loki_client_stats(h.client);
        ck_assert_uint_eq(st->requests, 3);
        ck_assert_uint_eq(st->retries, 2);
        ck_assert_uint_eq(st->batches_gave_up, 1);
        ck_assert_uint_eq(st->entries_dropped, 2);
        ck_assert_uint_eq(status_count(h.client, 0), 3);
        ck_assert(sl_loki_client_idle(h.client));
        harness_release(&h);
}
END_TEST

START_TEST(test_timeout_gives_up) {
        struct harness h;
        uint16_t port;
        _cleanup_close_ int fd = dead_socket(true, &port);
        struct sl_loki_client_options o = default_options(&h, port);
        const struct sl_loki_client_stats *st;
        uint64_t start = sl_now_ns();

        o.timeout_ns = 100 * SL_NSEC_PER_MSEC;
        o.max_retries = 1;
        harness_init(&h, &o);
        submit(&h, make_batch("slow", 1));
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_GAVE_UP);
        ck_assert_int_eq(h.done[0].status, 0);
        /* Two requests, each waited for its whole timeout. */
        ck_assert_uint_ge(sl_now_ns() - start, 200 * SL_NSEC_PER_MSEC);
        st = sl_loki_client_stats(h.client);
        ck_assert_uint_eq(st->requests, 2);
        ck_assert_uint_eq(st->retries, 1);
        harness_release(&h);
}
END_TEST

/* done() comes once per batch in submit order, an empty batch included
 * (without a request), even when the first one needs a retry. */
START_TEST(test_order) {
        static const struct step steps[] = { { 503, NULL, NULL } };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);

        harness_init(&h, &o);
        submit(&h, make_batch("first", 2));
        submit(&h, make_batch("empty", 0));
        submit(&h, make_batch("third", 1));
        ck_assert_uint_eq(sl_loki_client_queued(h.client), 3);
        ck_assert(run_until_done(&h, 3, 5 * SL_NSEC_PER_SEC));
        ck_assert_uint_eq(h.n_done, 3);
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_str_eq(h.done[0].first_line, "first-0");
        ck_assert_int_eq(h.done[1].outcome, SL_PUSH_EMPTY);
        ck_assert_int_eq(h.done[1].status, 0);
        ck_assert_uint_eq(h.done[1].entries, 0);
        ck_assert_int_eq(h.done[2].outcome, SL_PUSH_SENT);
        ck_assert_str_eq(h.done[2].first_line, "third-0");

        ck_assert_uint_eq(server_requests(srv), 3);
        ck_assert_str_eq(server_seen(srv, 0).first_line, "first-0");
        ck_assert_str_eq(server_seen(srv, 1).first_line, "first-0");
        ck_assert_str_eq(server_seen(srv, 2).first_line, "third-0");
        ck_assert_uint_eq(sl_loki_client_stats(h.client)->batches_empty, 1);
        ck_assert(sl_loki_client_idle(h.client));
        harness_release(&h);
}
END_TEST

/* Freeing with a request in flight and batches queued: no done() calls,
 * nothing leaked (see the sanitizer build). */
START_TEST(test_free_with_pending) {
        struct harness h;
        uint16_t port;
        _cleanup_close_ int fd = dead_socket(true, &port);
        struct sl_loki_client_options o = default_options(&h, port);
        uint64_t end;

        harness_init(&h, &o);
        submit(&h, make_batch("p1", 1));
        submit(&h, make_batch("p2", 1));
        /* Let the first request start and connect. */
        end = sl_now_ns() + 50 * SL_NSEC_PER_MSEC;
        for (unsigned i = 0; i < 1000 && sl_now_ns() < end; i++)
                ck_assert_int_eq(sl_loop_run_once(h.loop, 5 * SL_NSEC_PER_MSEC), 0);
        ck_assert_uint_eq(h.n_done, 0);
        ck_assert_uint_eq(sl_loki_client_queued(h.client), 2);
        sl_loki_client_free(h.client);
        h.client = NULL;
        ck_assert_uint_eq(h.n_done, 0);
        /* The loop holds nothing of the client any more. */
        ck_assert_int_eq(sl_loop_run_once(h.loop, 0), 0);
        harness_release(&h);
}
END_TEST


/* 413: the batch is split in halves (across its two streams), both are
 * accepted, and done() comes once, SENT, with every entry received once. */
START_TEST(test_413_split_halves) {
        static const struct step steps[] = { { 413, "request entity too large", NULL } };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        const struct sl_loki_client_stats *st;

        harness_init(&h, &o);
        submit(&h, make_batch_at("s", 5, 2, 0));
        submit(&h, make_batch("next", 1));
        ck_assert(run_until_done(&h, 2, 5 * SL_NSEC_PER_SEC));
        /* Nothing more comes. */
        ck_assert(!run_until_done(&h, 3, 100 * SL_NSEC_PER_MSEC));
        ck_assert_uint_eq(h.n_done, 2);
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_int_eq(h.done[0].status, 204);
        ck_assert_uint_eq(h.done[0].entries, 5);
        ck_assert_uint_eq(h.done[0].report.entries_sent, 5);
        ck_assert_uint_eq(h.done[0].report.splits, 1);
        ck_assert_uint_eq(h.done[0].report.requests, 3);
        ck_assert_int_eq(h.done[1].outcome, SL_PUSH_SENT);
        ck_assert_str_eq(h.done[1].first_line, "next-0");
        ck_assert_uint_eq(h.done[1].report.splits, 0);
        ck_assert_uint_eq(h.done[1].report.requests, 1);

        /* 413 for all 5, then 2 + 3, then the next batch. */
        ck_assert_uint_eq(server_requests(srv), 4);
        ck_assert_int_eq(server_seen(srv, 0).status, 413);
        ck_assert_int_eq(server_seen(srv, 0).entries, 5);
        ck_assert_int_eq(server_seen(srv, 1).entries, 2);
        ck_assert_int_eq(server_seen(srv, 2).entries, 3);
        ck_assert_uint_lt(server_seen(srv, 1).body_len, server_seen(srv, 0).body_len);
        /* The halves are encoded from lines put back from the first body
         * (the queued batch kept only that): together they are that body's
         * lines and metadata, in the same order. */
        {
                char lines[1024], metadata[1024];
                snprintf(lines, sizeof(lines), "%s%s", server_seen(srv, 1).lines, server_seen(srv, 2).lines);
                snprintf(metadata, sizeof(metadata), "%s%s", server_seen(srv, 1).metadata,
                         server_seen(srv, 2).metadata);
                ck_assert_str_eq(lines, server_seen(srv, 0).lines);
                ck_assert_str_eq(metadata, server_seen(srv, 0).metadata);
                ck_assert_str_eq(server_seen(srv, 0).metadata,
                                 "trace_id=t1 span_id=s trace_id=t3 span_id=s ");
        }
        check_each_once(srv, "s", 5);
        check_each_once(srv, "next", 1);
        ck_assert_int_eq(accepted_total(srv), 6);

        st = sl_loki_client_stats(h.client);
        ck_assert_uint_eq(st->splits, 1);
        ck_assert_uint_eq(st->batches_sent, 2);
        ck_assert_uint_eq(st->entries_sent, 6);
        ck_assert_uint_eq(st->entries_dropped, 0);
        ck_assert_uint_eq(st->retries, 0);
        ck_assert_uint_eq(st->requests, 4);
        ck_assert_uint_eq(status_count(h.client, 413), 1);
        ck_assert(sl_loki_client_idle(h.client));
        ck_assert_uint_eq(sl_loki_client_held_bytes(h.client), 0);
        harness_release(&h);
}
END_TEST

/* A batch keeps being split while Loki answers 413; a single entry still
 * too large is refused alone; the rest arrives. Table: the answers, and what
 * done() and the counters must say. */
struct split_case {
        const char *name;
        struct step steps[6];      /* then 204 */
        size_t n_steps;
        size_t entries;            /* in the batch, one stream */
        uint64_t max_retries;
        enum sl_push_outcome outcome;
        int status;                /* reported */
        const char *message;       /* reported */
        uint64_t sent, refused, gave_up, splits;
        size_t requests;           /* for the batch */
        const char *arrived;       /* lines accepted, space-terminated */
        int refusal_status;        /* sl_loki_client_last_refusal() afterwards */
};

static const struct split_case split_cases[] = {
        { "single entry refused", { { 413, "too big", NULL }, { 413, "still too big", NULL } }, 2,
          3, 0, SL_PUSH_REFUSED, 413, "still too big", 2, 1, 0, 1, 3, "s-1 s-2 ", 413 },
        { "split twice", { { 413, NULL, NULL }, { 413, NULL, NULL } }, 2,
          4, 0, SL_PUSH_SENT, 204, "", 4, 0, 0, 2, 5, "s-0 s-1 s-2 s-3 ", 0 },
        { "a half refused with 400", { { 413, NULL, NULL }, { 400, "entry too far behind", NULL } }, 2,
          4, 0, SL_PUSH_REFUSED, 400, "entry too far behind", 2, 2, 0, 1, 3, "s-2 s-3 ", 400 },
        { "a half retried", { { 413, NULL, NULL }, { 503, NULL, NULL }, { 204, "ok", NULL } }, 3,
          4, 0, SL_PUSH_SENT, 204, "", 4, 0, 0, 1, 4, "s-0 s-1 s-2 s-3 ", 0 },
        { "gave up on the second half", { { 413, NULL, NULL }, { 204, NULL, NULL },
                                          { 503, "busy", NULL }, { 503, "still busy", NULL } }, 4,
          4, 1, SL_PUSH_GAVE_UP, 503, "still busy", 2, 0, 2, 1, 4, "s-0 s-1 ", 0 },
        { "refused then gave up", { { 413, NULL, NULL }, { 400, "bad", NULL },
                                    { 500, NULL, NULL }, { 500, "down", NULL } }, 4,
          4, 1, SL_PUSH_GAVE_UP, 500, "down", 0, 2, 2, 1, 4, "", 400 },
};

START_TEST(test_413_split_table) {
        const struct split_case *t = &split_cases[_i];
        _cleanup_(server_stopp) struct server *srv = server_start(t->steps, t->n_steps);
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);
        const struct sl_loki_client_stats *st;
        const struct done_rec *d;
        char arrived[512] = "";
        int refusal_status = -1;

        o.max_retries = t->max_retries;
        harness_init(&h, &o);
        submit(&h, make_batch("s", t->entries));
        submit(&h, make_batch("after", 1));
        ck_assert_msg(run_until_done(&h, 2, 5 * SL_NSEC_PER_SEC), "%s", t->name);
        ck_assert_msg(!run_until_done(&h, 3, 50 * SL_NSEC_PER_MSEC), "%s", t->name);
        d = &h.done[0];
        ck_assert_msg(d->outcome == t->outcome, "%s: outcome %d", t->name, d->outcome);
        ck_assert_msg(d->status == t->status, "%s: status %d", t->name, d->status);
        ck_assert_msg(strcmp(d->message, t->message) == 0, "%s: message \"%s\"", t->name,
                      d->message);
        ck_assert_msg(d->report.entries_sent == t->sent && d->report.entries_refused == t->refused &&
                              d->report.entries_gave_up == t->gave_up &&
                              d->report.splits == t->splits && d->report.requests == t->requests,
                      "%s: report sent %llu refused %llu gave_up %llu splits %llu requests %llu",
                      t->name, (unsigned long long)d->report.entries_sent,
                      (unsigned long long)d->report.entries_refused,
                      (unsigned long long)d->report.entries_gave_up,
                      (unsigned long long)d->report.splits,
                      (unsigned long long)d->report.requests);
        /* The batch after it goes through untouched. */
        ck_assert_int_eq(h.done[1].outcome, SL_PUSH_SENT);
        ck_assert_str_eq(h.done[1].first_line, "after-0");

        /* What Loki accepted, in order, the next batch aside. */
        for (size_t i = 0; i + 1 < server_requests(srv); i++) {
                struct seen s = server_seen(srv, i);
                if (s.status >= 200 && s.status < 300)
                        strncat(arrived, s.lines, sizeof(arrived) - strlen(arrived) - 1);
        }
        ck_assert_msg(strcmp(arrived, t->arrived) == 0, "%s: arrived \"%s\"", t->name, arrived);
        ck_assert_str_eq(server_seen(srv, server_requests(srv) - 1).lines, "after-0 ");

        st = sl_loki_client_stats(h.client);
        ck_assert_uint_eq(st->entries_sent, t->sent + 1);
        ck_assert_uint_eq(st->entries_refused, t->refused);
        ck_assert_uint_eq(st->entries_gave_up, t->gave_up);
        ck_assert_uint_eq(st->entries_dropped, t->refused + t->gave_up);
        ck_assert_uint_eq(st->splits, t->splits);
        ck_assert_uint_eq(st->batches_refused, t->outcome == SL_PUSH_REFUSED);
        ck_assert_uint_eq(st->batches_gave_up, t->outcome == SL_PUSH_GAVE_UP);
        ck_assert_uint_eq(st->batches_sent, 1 + (t->outcome == SL_PUSH_SENT));
        sl_loki_client_last_refusal(h.client, &refusal_status);
        ck_assert_int_eq(refusal_status, t->refusal_status);
        harness_release(&h);
}
END_TEST

/* Retry-After as an HTTP-date: one in the past means retry now; one a few
 * seconds ahead replaces a 60 s backoff. The wait counts from the answer's
 * Date header (libmicrohttpd sends one), in whole seconds. */
START_TEST(test_retry_after_date) {
        /* A date in the past: no wait. A date 2 s after the answer: the
         * retry waits for it, not for the minute of backoff. Both are told
         * apart from the backoff by a bound far below it, and the wait for
         * the date by the wall clock at the retry, so the machine's speed
         * does not matter. */
        static const struct step steps[] = { { 429, NULL, "Thu, 01 Jan 1970 00:00:00 GMT" },
                                             { 503, NULL, "@+2" } };
        _cleanup_(server_stopp) struct server *srv = NULL;
        struct harness h;
        struct sl_loki_client_options o;
        struct seen answered, retried;

        srv = server_start(steps, SL_ARRAY_SIZE(steps));
        o = default_options(&h, srv->port);
        o.backoff_min_ns = 600 * SL_NSEC_PER_SEC;
        o.backoff_max_ns = 1200 * SL_NSEC_PER_SEC;
        harness_init(&h, &o);
        submit(&h, make_batch("d", 1));
        ck_assert(run_until_done(&h, 1, 25 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        ck_assert_uint_eq(server_requests(srv), 3);
        ck_assert_uint_eq(sl_loki_client_stats(h.client)->retries, 2);
        answered = server_seen(srv, 1);
        retried = server_seen(srv, 2);
        ck_assert_int_gt(answered.retry_date_s, 0);
        ck_assert_msg(retried.at_wall_ns >= answered.retry_date_s * (int64_t)SL_NSEC_PER_SEC,
                      "retried at %lld ns, before the date %lld s", (long long)retried.at_wall_ns,
                      (long long)answered.retry_date_s);
        harness_release(&h);
}
END_TEST

/* oldest_ns: the oldest creation time of the queued batches with entries;
 * UINT64_MAX once everything is done. */
START_TEST(test_oldest_ns) {
        static const struct step steps[] = { { 503, NULL, NULL } };
        _cleanup_(server_stopp) struct server *srv = server_start(steps, SL_ARRAY_SIZE(steps));
        struct harness h;
        struct sl_loki_client_options o = default_options(&h, srv->port);

        harness_init(&h, &o);
        ck_assert_uint_eq(sl_loki_client_oldest_ns(h.client), UINT64_MAX);
        submit(&h, make_batch_at("marks", 0, 1, 500));
        ck_assert_uint_eq(sl_loki_client_oldest_ns(h.client), UINT64_MAX);
        submit(&h, make_batch_at("a", 2, 1, 1000));
        submit(&h, make_batch_at("b", 1, 1, 3000));
        ck_assert_uint_eq(sl_loki_client_oldest_ns(h.client), 1000);
        /* The mark-only batch is done at once; "a" waits for its retry. */
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_EMPTY);
        ck_assert_uint_eq(sl_loki_client_oldest_ns(h.client), 1000);
        ck_assert(run_until_done(&h, 2, 5 * SL_NSEC_PER_SEC));
        /* "b" may complete in the same loop turn as "a" on a loaded machine. */
        ck_assert_uint_eq(sl_loki_client_oldest_ns(h.client), h.n_done == 2 ? 3000 : UINT64_MAX);
        ck_assert(run_until_done(&h, 3, 5 * SL_NSEC_PER_SEC));
        ck_assert_uint_eq(sl_loki_client_oldest_ns(h.client), UINT64_MAX);
        harness_release(&h);
}
END_TEST

/* max_retries 0: connection refused is retried until Loki comes up. */
START_TEST(test_connection_refused_retried_until_up) {
        struct harness h;
        uint16_t port;
        int fd = dead_socket(false, &port);
        struct sl_loki_client_options o = default_options(&h, port);
        _cleanup_(server_stopp) struct server *srv = NULL;
        uint64_t end;

        harness_init(&h, &o);
        submit(&h, make_batch("late", 2));
        end = sl_now_ns() + 5 * SL_NSEC_PER_SEC;
        while (sl_loki_client_stats(h.client)->retries < 5 && sl_now_ns() < end)
                ck_assert_int_eq(sl_loop_run_once(h.loop, 20 * SL_NSEC_PER_MSEC), 0);
        ck_assert_uint_ge(sl_loki_client_stats(h.client)->retries, 5);
        ck_assert_uint_eq(h.n_done, 0);
        ck_assert_uint_eq(status_count(h.client, 0), sl_loki_client_stats(h.client)->requests);

        close(fd);
        srv = server_start_on(NULL, 0, port);
        ck_assert(run_until_done(&h, 1, 5 * SL_NSEC_PER_SEC));
        ck_assert_int_eq(h.done[0].outcome, SL_PUSH_SENT);
        check_each_once(srv, "late", 2);
        harness_release(&h);
}
END_TEST

static Suite *loki_client_suite(void) {
        Suite *s = suite_create("loki-client");
        TCase *tc = tcase_create("http");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_sent_204);
        tcase_add_test(tc, test_tenant_header);
        tcase_add_test(tc, test_custom_headers);
        tcase_add_test(tc, test_custom_org_id_without_tenant);
        tcase_add_test(tc, test_tenant_per_entry);
        tcase_add_test(tc, test_tenant_split_and_none);
        tcase_add_test(tc, test_drop_rate_limited);
        tcase_add_test(tc, test_tls_ca_file);
        tcase_add_test(tc, test_tls_inline_and_insecure);
        tcase_add_test(tc, test_basic_auth);
        tcase_add_test(tc, test_credentials_files);
        tcase_add_test(tc, test_proxy);
        tcase_add_test(tc, test_proxy_environment_ignored);
        tcase_add_test(tc, test_retry_5xx);
        tcase_add_test(tc, test_retry_after_zero);
        tcase_add_test(tc, test_retry_after_capped);
        tcase_add_test(tc, test_refused_400);
        tcase_add_test(tc, test_refused_400_in_part);
        tcase_add_test(tc, test_260_is_sent);
        tcase_add_test(tc, test_connection_refused_gives_up);
        tcase_add_test(tc, test_timeout_gives_up);
        tcase_add_test(tc, test_order);
        tcase_add_test(tc, test_free_with_pending);
        tcase_add_test(tc, test_413_split_halves);
        tcase_add_loop_test(tc, test_413_split_table, 0, SL_ARRAY_SIZE(split_cases));
        tcase_add_test(tc, test_retry_after_date);
        tcase_add_test(tc, test_oldest_ns);
        tcase_add_test(tc, test_connection_refused_retried_until_up);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(loki_client_suite)
