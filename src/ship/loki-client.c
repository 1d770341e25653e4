/* loki-client.c - see loki-client.h. */
#include "ship/loki-client.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/backoff.h"
#include "base/buf.h"
#include "base/curl-loop.h"
#include "base/fs-util.h"
#include "base/time-util.h"
#include "base/xalloc.h"
#include "ship/push-encode.h"
#include "ship/loki-refusal.h"
#include "ship/retry-after.h"

#define BODY_MAX (256u * 1024u * 1024u)    /* largest compressed body */
#define MESSAGE_MAX 1024u                  /* response text reported */
#define RESPONSE_MAX (1024u * 1024u)       /* response kept to read a 400's refusals */
#define RESPONSE_KEEP (64u * 1024u)        /* a larger response buffer is given back */
#define SECRET_MAX (64u * 1024u)           /* longest credentials file */

static const double duration_bounds[] = {
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, INFINITY,
};
#define N_BOUNDS SL_ARRAY_SIZE(duration_bounds)

struct status_stat {
        int status;                 /* HTTP status; 0 = no answer */
        uint64_t count;             /* requests that ended so */
        uint64_t buckets[N_BOUNDS]; /* cumulative duration histogram */
        double sum_seconds;         /* their total duration */
};

enum state {
        STATE_IDLE,    /* no request: the head batch's next part, if any, is not started */
        STATE_SENDING, /* the easy handle is in the multi handle */
        STATE_WAITING, /* the part in flight waits for retry_timer */
};

/* A range of the head batch's entries, numbered as push-encode.h does,
 * all of one tenant. */
struct part {
        size_t first;         /* index of its first entry */
        size_t count;         /* entries in it; at least 1 */
        struct sl_str tenant; /* borrowed from the batch: its streams' tenant;
                               * empty: the client's own */
};

/* A tenant's part of a queued batch, encoded when the batch was submitted
 * (see pack()). */
struct packed {
        size_t first;        /* its range of entries, as struct part */
        size_t count;
        struct sl_buf body;  /* owned: its compressed PushRequest */
};

/* A batch in the queue. Packed, it keeps only its parts' bodies; its
 * lines are dropped (batch.h) until a split needs them again. */
struct queued {
        struct sl_batch *batch;  /* owned */
        struct packed *packed;   /* owned array, in entry order; NULL: not packed */
        size_t n_packed;         /* items in packed */
};

struct sl_loki_client {
        struct sl_loop *loop;            /* borrowed; outlives the client */
        sl_push_done_fn done;            /* called once per batch */
        void *userdata;                  /* borrowed, passed to done */
        sl_push_retry_fn retry;          /* called before each retry; NULL: none */
        void *retry_userdata;            /* borrowed, passed to retry */
        uint64_t max_retries;            /* 0 = until success */
        bool drop_rate_limited;          /* 429 refuses the part */
        bool curl_global;                /* curl_global_init() succeeded: clean up once */
        struct sl_curl_loop curl;        /* owned: the multi handle on the loop */
        CURL *easy;                      /* owned; reused for every request */
        struct curl_slist *headers;      /* owned request headers */
        struct curl_slist *headers_tail; /* borrowed: the last fixed header; the
                                          * request's own (X-Scope-OrgID, then
                                          * Authorization) follow it */
        char *tenant;                    /* owned: X-Scope-OrgID when a part has no
                                          * tenant of its own; NULL: none */
        char *auth_line;                 /* owned: the Authorization header line;
                                          * NULL: none */
        struct curl_slist *proxy_headers; /* owned proxy CONNECT headers */
        bool basic;                      /* basic authentication */
        char *username;                  /* owned copies of the credentials (NULL: unset) */
        char *username_file;
        char *password;
        char *password_file;
        char *auth_type;                 /* owned; NULL: no Authorization header */
        char *credentials;
        char *credentials_file;
        bool secrets_in_files;           /* credentials are read again per request */
        bool auth_set;                   /* the fixed credentials are in place */
        struct sl_timer retry_timer;     /* end of the wait before a retry */
        struct sl_timer kick_timer;      /* starts the next part or batch from the loop */
        struct queued *queue;            /* owned ring of queued batches, head in flight */
        size_t q_first;                  /* index of the head in queue */
        size_t q_len;                    /* batches queued */
        size_t q_cap;                    /* slots in queue */
        uint64_t held_bytes;             /* sl_batch_bytes() of the queued batches */
        enum state state;                /* what the head batch's part in flight is doing */
        bool head_started;               /* parts and head report are set for the head */
        struct part *parts;              /* owned stack: the head's parts still to send,
                                          * the one in flight (or next) on top */
        size_t n_parts;                  /* parts on the stack */
        size_t cap_parts;                /* items allocated in parts */
        struct sl_push_report head;      /* what became of the head batch so far */
        int head_status;                 /* status to report for the head (see done()) */
        char head_message[MESSAGE_MAX + 1]; /* message to report for the head */
        bool head_refused;               /* a part of the head was refused: keep the first */
        struct sl_push_report last;      /* report of the batch done last */
        int refusal_status;              /* status of the latest refusal; 0 = none */
        char refusal_message[MESSAGE_MAX + 1]; /* its message */
        struct sl_push_encoder *enc;     /* owned */
        struct sl_buf body;              /* owned: encoded part in flight when the head
                                          * batch is not packed, capped */
        const struct sl_buf *sending;    /* borrowed: body of the part in flight (body or
                                          * a packed one of the head) */
        struct sl_buf spare;             /* owned: a packed body's buffer kept for the
                                          * next batch (its pages stay mapped); data
                                          * NULL: none */
        struct sl_buf response;          /* owned: start of the answer's body, capped */
        bool response_cut;               /* the body went past the cap */
        char message[MESSAGE_MAX + 1];   /* the answer as reported: long quotes shortened */
        char curl_error[CURL_ERROR_SIZE];/* curl's text for the last failure */
        struct sl_retry_after retry_after; /* the answer's Retry-After; kind NONE = none */
        int64_t server_date_s;           /* the answer's Date in Unix seconds; -1 = none */
        uint64_t head_retries;           /* retries made for the part in flight */
        uint64_t started_ns;             /* when the current request started */
        struct sl_backoff backoff;       /* wait before retries of the part in flight */
        struct sl_loki_client_stats stats; /* counters */
        struct status_stat *statuses;    /* owned array, one per status seen */
        size_t n_statuses;               /* statuses seen */
        size_t cap_statuses;             /* items allocated in statuses */
};

/* ---- the queue ------------------------------------------------------------ */

static void queue_push(struct sl_loki_client *c, struct sl_batch *batch) {
        if (c->q_len == c->q_cap) {
                size_t cap = c->q_cap ? c->q_cap * 2 : 8;
                struct queued *q = sl_xmalloc(cap * sizeof(*q));
                for (size_t i = 0; i < c->q_len; i++)
                        q[i] = c->queue[(c->q_first + i) % c->q_cap];
                free(c->queue);
                c->queue = q;
                c->q_cap = cap;
                c->q_first = 0;
        }
        c->queue[(c->q_first + c->q_len) % c->q_cap] = (struct queued){ .batch = batch };
        c->q_len++;
}

static struct queued *queue_tail(struct sl_loki_client *c) {
        return &c->queue[(c->q_first + c->q_len - 1) % c->q_cap];
}

static struct queued *queue_head_item(struct sl_loki_client *c) {
        return c->q_len ? &c->queue[c->q_first] : NULL;
}

static struct sl_batch *queue_head(const struct sl_loki_client *c) {
        return c->q_len ? c->queue[c->q_first].batch : NULL;
}

/* Frees @q's packed bodies, keeping one buffer as the client's spare. The
 * part in flight, if it was one of them, is done with. */
static void packed_free(struct sl_loki_client *c, struct queued *q) {
        for (size_t i = 0; i < q->n_packed; i++) {
                if (c->sending == &q->packed[i].body)
                        c->sending = &c->body;
                if (!c->spare.data && q->packed[i].body.data) {
                        c->spare = q->packed[i].body;
                        sl_buf_reset(&c->spare);
                } else {
                        sl_buf_release(&q->packed[i].body);
                }
        }
        free(q->packed);
        q->packed = NULL;
        q->n_packed = 0;
}

static struct sl_batch *queue_pop(struct sl_loki_client *c) {
        struct queued *q = &c->queue[c->q_first];
        struct sl_batch *batch = q->batch;

        packed_free(c, q);
        c->q_first = (c->q_first + 1) % c->q_cap;
        c->q_len--;
        return batch;
}

/* ---- packing: a queued batch as its encoded parts ------------------------ */

/* The end of the run of streams from @i on that share stream @i's tenant,
 * and the number of their entries in *@ret_count. */
static size_t tenant_run(const struct sl_batch_stream *streams, size_t n, size_t i,
                         size_t *ret_count) {
        size_t j = i, count = 0;

        while (j < n && sl_str_eq(streams[j].tenant, streams[i].tenant))
                count += streams[j++].n_entries;
        *ret_count = count;
        return j;
}

/* Encodes each tenant's part of @q's batch (the parts parts_start() will
 * make) into a body of its own and drops the batch's lines: a batch that
 * waits behind another holds about a third of the memory, and its parts
 * are not encoded again when sent. A batch that cannot be encoded whole
 * keeps its lines (process_queue() deals with it as before). */
static void pack(struct sl_loki_client *c, struct queued *q) {
        const struct sl_batch_stream *streams;
        size_t n, at = 0, count;
        uint64_t encoded = 0;

        if (!sl_batch_entries(q->batch))
                return;
        streams = sl_batch_streams(q->batch, &n);
        /* At most a run per stream. */
        q->packed = sl_xcalloc(n, sizeof(*q->packed));
        for (size_t i = 0, next; i < n; i = next, at += count) {
                struct packed *p;

                next = tenant_run(streams, n, i, &count);
                if (!count)
                        continue;
                p = &q->packed[q->n_packed++];
                p->first = at;
                p->count = count;
                if (c->spare.data) { /* reused: no fresh pages to fault in */
                        p->body = c->spare;
                        sl_buf_init(&c->spare, BODY_MAX);
                } else {
                        sl_buf_init(&p->body, BODY_MAX);
                }
                if (sl_push_encoder_encode_range(c->enc, q->batch, p->first, p->count, &p->body) < 0) {
                        packed_free(c, q);
                        return;
                }
                encoded += p->body.len;
        }
        c->stats.bytes_encoded += encoded;
        sl_batch_drop_lines(q->batch);
}

/* The packed body of exactly the range of @p, or NULL. */
static const struct sl_buf *packed_body(const struct queued *q, const struct part *p) {
        for (size_t i = 0; i < q->n_packed; i++)
                if (q->packed[i].first == p->first && q->packed[i].count == p->count)
                        return &q->packed[i].body;
        return NULL;
}

/* Puts @q's batch's lines back, decoded from its packed bodies, so that it
 * can be encoded in other ranges (a split), and unpacks it. Returns 0, or
 * -EBADMSG if the bodies do not give the batch back (it stays packed). */
static int unpack(struct sl_loki_client *c, struct queued *q) {
        int r = 0;

        for (size_t k = 0; k < q->n_packed && r == 0; k++)
                r = sl_push_decode_range(q->batch, q->packed[k].first, q->packed[k].count,
                                         &q->packed[k].body);
        if (sl_batch_restore_end(q->batch) < 0 || r < 0)
                return -EBADMSG;
        packed_free(c, q);
        return 0;
}

/* ---- the head batch's parts ---------------------------------------------- */

static void parts_push(struct sl_loki_client *c, size_t first, size_t count,
                       struct sl_str tenant) {
        sl_xgrow((void **)&c->parts, sizeof(*c->parts), &c->cap_parts, c->n_parts + 1);
        c->parts[c->n_parts++] = (struct part){ first, count, tenant };
}

/* The head batch's first parts: one per tenant (a sealed batch keeps each
 * tenant's streams together), the first tenant's on top. */
static void parts_start(struct sl_loki_client *c, const struct sl_batch *batch) {
        const struct sl_batch_stream *streams;
        size_t n, at = 0, count, bottom = c->n_parts;

        streams = sl_batch_streams(batch, &n);
        /* A part per run of one tenant (tenant_run(), as pack() cuts them),
         * pushed in order and then turned over: the first on top. */
        for (size_t i = 0, next; i < n; i = next, at += count) {
                next = tenant_run(streams, n, i, &count);
                if (count)
                        parts_push(c, at, count, streams[i].tenant);
        }
        for (size_t lo = bottom, hi = c->n_parts; lo + 1 < hi; lo++, hi--) {
                struct part p = c->parts[lo];
                c->parts[lo] = c->parts[hi - 1];
                c->parts[hi - 1] = p;
        }
}

/* Replaces the top part by its two halves, the first half on top, so the
 * entries still go out in order. The part must hold 2 entries or more. */
static void parts_split(struct sl_loki_client *c) {
        struct part p = c->parts[--c->n_parts];
        size_t half = p.count / 2;

        parts_push(c, p.first + half, p.count - half, p.tenant);
        parts_push(c, p.first, half, p.tenant);
        c->head.splits++;
        c->stats.splits++;
}

/* Sets the message reported for the head batch (see done()). */
static void set_head_message(struct sl_loki_client *c, int status, const char *message) {
        c->head_status = status;
        snprintf(c->head_message, sizeof(c->head_message), "%s", message);
}

/* The top part was accepted by Loki. */
static void part_sent(struct sl_loki_client *c, int status, const char *message) {
        struct part p = c->parts[--c->n_parts];

        c->head.entries_sent += p.count;
        c->stats.entries_sent += p.count;
        c->stats.bytes_sent += c->sending->len;
        if (!c->head_refused)
                set_head_message(c, status, message);
}

/* The top part was refused for good: its entries are dropped. The first
 * refusal of a batch is the one reported with it. */
static void part_refused(struct sl_loki_client *c, int status, const char *message) {
        struct part p = c->parts[--c->n_parts];

        c->head.entries_refused += p.count;
        c->stats.entries_refused += p.count;
        c->stats.entries_dropped += p.count;
        c->refusal_status = status;
        snprintf(c->refusal_message, sizeof(c->refusal_message), "%s", message);
        if (!c->head_refused)
                set_head_message(c, status, message);
        c->head_refused = true;
}

/* The top part was answered 400 for: Loki validates stream by stream and
 * stores what passes, so the answer's messages tell how many of its
 * entries it refused (loki-refusal.h); the rest was sent. An answer that
 * names none of them refuses the whole part. */
static void part_answered_400(struct sl_loki_client *c, const char *message) {
        struct part *p = &c->parts[c->n_parts - 1];
        ssize_t refused = sl_loki_refused_entries(queue_head(c), p->first, p->count, c->response.data,
                                                  c->response.len, !c->response_cut);
        struct part rest;

        if (refused < 0 || (size_t)refused >= p->count) {
                part_refused(c, 400, message);
                return;
        }
        /* Account the accepted entries as sent, the others as refused. */
        rest = *p;
        p->count = rest.count - (size_t)refused;
        c->head.entries_sent += p->count;
        c->stats.entries_sent += p->count;
        p->count = (size_t)refused;
        if (refused > 0) {
                part_refused(c, 400, message);
        } else {
                c->n_parts--;
                c->stats.bytes_sent += c->sending->len;
        }
}

/* ---- counters -------------------------------------------------------------- */

static void record_status(struct sl_loki_client *c, int status, uint64_t duration_ns) {
        double seconds = (double)duration_ns / (double)SL_NSEC_PER_SEC;
        struct status_stat *s = NULL;

        for (size_t i = 0; i < c->n_statuses && !s; i++)
                if (c->statuses[i].status == status)
                        s = &c->statuses[i];
        if (!s) {
                sl_xgrow((void **)&c->statuses, sizeof(*c->statuses), &c->cap_statuses,
                         c->n_statuses + 1);
                s = &c->statuses[c->n_statuses++];
                *s = (struct status_stat){ .status = status };
        }
        s->count++;
        s->sum_seconds += seconds;
        for (size_t i = 0; i < N_BOUNDS; i++)
                if (seconds <= duration_bounds[i])
                        s->buckets[i]++;
}

/* ---- completing a batch ------------------------------------------------------ */

/* Pops the head batch and hands it to done() with @outcome and the head's
 * status and message. The client is consistent (idle, head removed, report
 * kept in c->last) before done() runs, so done() may submit. */
static void complete(struct sl_loki_client *c, enum sl_push_outcome outcome) {
        struct sl_batch *batch = queue_pop(c);

        c->held_bytes -= sl_batch_bytes(batch);
        c->state = STATE_IDLE;
        c->head_started = false;
        c->n_parts = 0;
        c->last = c->head;
        switch (outcome) {
        case SL_PUSH_SENT:
                c->stats.batches_sent++;
                break;
        case SL_PUSH_REFUSED:
                c->stats.batches_refused++;
                break;
        case SL_PUSH_GAVE_UP:
                c->stats.batches_gave_up++;
                break;
        case SL_PUSH_EMPTY:
                c->stats.batches_empty++;
                break;
        }
        if (c->q_len)
                sl_loop_timer_arm(c->loop, &c->kick_timer, 0);
        c->done(c->userdata, batch, outcome, c->head_status, c->head_message);
}

/* Gives up the head batch: the part in flight and those not sent yet. */
static void give_up(struct sl_loki_client *c, int status, const char *message) {
        uint64_t left = 0;

        for (size_t i = 0; i < c->n_parts; i++)
                left += c->parts[i].count;
        c->head.entries_gave_up += left;
        c->stats.entries_gave_up += left;
        c->stats.entries_dropped += left;
        set_head_message(c, status, message);
        complete(c, SL_PUSH_GAVE_UP);
}

/* Errors that no retry can cure: the URL itself is unusable. */
static bool curl_error_retryable(CURLcode result) {
        switch (result) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_UNKNOWN_OPTION:
                return false;
        default:
                return true;
        }
}

/* Loki's answer as text: NUL-terminated, trailing whitespace removed. */
static const char *response_text(struct sl_loki_client *c) {
        struct sl_buf *r = &c->response;

        if (!r->data)
                return "";
        while (r->len && (r->data[r->len - 1] == '\n' || r->data[r->len - 1] == '\r' ||
                          r->data[r->len - 1] == ' ' || r->data[r->len - 1] == '\t'))
                r->len--;
        r->data[r->len] = '\0';
        return r->data;
}

/* Writes @text into @out (@size bytes, terminated) for a message: each
 * quoted string of Loki's ('...', ended by a quote before a blank, ';' or
 * the end) longer than 96 bytes is shortened to its start and end, so that
 * a refusal naming a stream with a 3,000-byte label still says, within the
 * message's 1 KiB, what Loki refused it for. */
static const char *shorten_quotes(const char *text, char *out, size_t size) {
        size_t n = 0;

        for (const char *p = text; *p && n + 1 < size;) {
                const char *end = NULL;

                if (*p == '\'') {
                        for (const char *q = p + 1; *q; q++)
                                if (*q == '\'' && (q[1] == '\0' || q[1] == ' ' || q[1] == ';' || q[1] == '\n')) {
                                        end = q;
                                        break;
                                }
                }
                if (end && end - p > 96) {
                        int w = snprintf(out + n, size - n, "%.48s...(%zu bytes)...%.24s'", p,
                                         (size_t)(end - p - 1), end - 24);
                        n = w < 0 || (size_t)w >= size - n ? size - 1 : n + (size_t)w;
                        p = end + 1;
                        continue;
                }
                out[n++] = *p++;
        }
        out[n] = '\0';
        return out;
}

/* Arms the retry of the part in flight: the backoff's wait, or the one the
 * answer's Retry-After asked for (capped by backoff_max) instead. */
static void schedule_retry(struct sl_loki_client *c, uint64_t now_ns, int status,
                           const char *message) {
        uint64_t wait = sl_backoff_next(&c->backoff);

        if (c->retry_after.kind != SL_RETRY_AFTER_NONE)
                wait = sl_retry_after_wait_ns(&c->retry_after, c->server_date_s, sl_wall_ns(),
                                              c->backoff.max_ns);
        if (c->retry)
                c->retry(c->retry_userdata, status, message, wait);
        c->head_retries++;
        c->stats.retries++;
        c->state = STATE_WAITING;
        sl_loop_timer_arm(c->loop, &c->retry_timer, now_ns + wait);
}

static void process_queue(struct sl_loki_client *c);

/* Decides what the end of a request means for the part in flight: @result
 * is curl's, @status the HTTP status (meaningful when @result is CURLE_OK). */
static void finish_request(struct sl_loki_client *c, CURLcode result, long status) {
        uint64_t now = sl_now_ns();
        bool answered = result == CURLE_OK;
        int code = answered ? (int)status : 0;
        const char *message;

        c->state = STATE_IDLE;
        c->stats.requests++;
        c->head.requests++;
        record_status(c, code, now - c->started_ns);
        if (answered)
                message = shorten_quotes(response_text(c), c->message, sizeof(c->message));
        else
                message = c->curl_error[0] ? c->curl_error : curl_easy_strerror(result);

        if (answered && code >= 200 && code < 300) {
                part_sent(c, code, message);
        } else if (answered && code == 429 && c->drop_rate_limited) {
                part_refused(c, code, message);
        } else if (answered && code == 413 && c->parts[c->n_parts - 1].count > 1) {
                /* The halves are encoded from the lines: a packed batch gets
                 * them back first. */
                if (queue_head_item(c)->packed && unpack(c, queue_head_item(c)) < 0)
                        part_refused(c, code, "batch cannot be encoded again to split it");
                else
                        parts_split(c);
        } else if (answered ? (code == 429 || (code >= 500 && code < 600))
                            : curl_error_retryable(result)) {
                if (c->max_retries && c->head_retries >= c->max_retries)
                        give_up(c, code, message);
                else
                        schedule_retry(c, now, code, message);
                return;
        } else if (answered && code == 400) {
                part_answered_400(c, message);
        } else {
                part_refused(c, code, message);
        }
        process_queue(c);
}

/* ---- driving curl from the loop ------------------------------------------------ */

/* sl_curl_loop's done callback: collects the finished request, if any. */
static void check_done(void *userdata) {
        struct sl_loki_client *c = userdata;
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(sl_curl_loop_multi(&c->curl), &left))) {
                CURLcode result;
                long status = 0;

                if (msg->msg != CURLMSG_DONE || msg->easy_handle != c->easy)
                        continue;
                result = msg->data.result;
                curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
                curl_multi_remove_handle(sl_curl_loop_multi(&c->curl), c->easy);
                finish_request(c, result, status);
        }
}

/* Reads the secret in @path (white space at both ends trimmed, as
 * Prometheus does) into a new string; -errno with curl_error set if not. */
static int read_secret(struct sl_loki_client *c, const char *path, char **ret) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0, start = 0;
        int r;

        r = sl_read_file(path, SECRET_MAX, &data, &len);
        if (r < 0) {
                snprintf(c->curl_error, sizeof(c->curl_error), "cannot read %s: %s", path,
                         strerror(-r));
                return r;
        }
        while (len && strchr(" \t\r\n", data[len - 1]))
                len--;
        while (start < len && strchr(" \t\r\n", data[start]))
                start++;
        *ret = sl_xstrndup(data + start, len - start);
        return 0;
}

/* @value, or the content of @file when given (new string in *@ret). */
static int secret(struct sl_loki_client *c, const char *value, const char *file, char **ret) {
        if (file)
                return read_secret(c, file, ret);
        *ret = sl_xstrdup(value ? value : "");
        return 0;
}

/* Puts the credentials in place: once, or before every request when some
 * are read from files (so a rotated secret is picked up). The
 * Authorization header line is kept in auth_line (set_request_headers()
 * puts it in the list). */
static int refresh_auth(struct sl_loki_client *c) {
        _cleanup_free_ char *user = NULL, *pass = NULL, *cred = NULL;
        int r;

        if (c->auth_set && !c->secrets_in_files)
                return 0;
        if (c->basic) {
                r = secret(c, c->username, c->username_file, &user);
                if (r == 0)
                        r = secret(c, c->password, c->password_file, &pass);
                if (r < 0)
                        return r;
                if (curl_easy_setopt(c->easy, CURLOPT_USERNAME, user) != CURLE_OK ||
                    curl_easy_setopt(c->easy, CURLOPT_PASSWORD, pass) != CURLE_OK)
                        return -ENOMEM;
        }
        if (c->auth_type) {
                r = secret(c, c->credentials, c->credentials_file, &cred);
                if (r < 0)
                        return r;
                free(c->auth_line);
                c->auth_line = sl_xasprintf("Authorization: %s %s", c->auth_type, cred);
        }
        c->auth_set = true;
        return 0;
}

/* Makes the headers after the fixed ones the request's: X-Scope-OrgID of
 * the part's tenant (or the client's), then Authorization. The list is
 * rebuilt only when they change. */
static int set_request_headers(struct sl_loki_client *c, struct sl_str tenant) {
        _cleanup_free_ char *org = NULL;
        const char *want[2];
        struct curl_slist *node = c->headers_tail->next;
        size_t n = 0;
        bool same = true;

        if (tenant.len)
                org = sl_xasprintf("X-Scope-OrgID: %.*s", (int)tenant.len, tenant.ptr);
        else if (c->tenant)
                org = sl_xasprintf("X-Scope-OrgID: %s", c->tenant);
        if (org)
                want[n++] = org;
        if (c->auth_line)
                want[n++] = c->auth_line;
        for (size_t i = 0; i < n && same; i++, node = node ? node->next : NULL)
                same = node && strcmp(node->data, want[i]) == 0;
        if (same && !node)
                return 0;
        curl_slist_free_all(c->headers_tail->next);
        c->headers_tail->next = NULL;
        for (size_t i = 0; i < n; i++)
                if (!curl_slist_append(c->headers, want[i]))
                        return -ENOMEM;
        return 0;
}

static void start_request(struct sl_loki_client *c) {
        CURLMcode mc;

        if (c->response.size > RESPONSE_KEEP) {
                sl_buf_release(&c->response);
                sl_buf_init(&c->response, RESPONSE_MAX);
        }
        sl_buf_reset(&c->response);
        c->response_cut = false;
        c->retry_after.kind = SL_RETRY_AFTER_NONE;
        c->server_date_s = -1;
        c->curl_error[0] = '\0';
        if (refresh_auth(c) < 0 || set_request_headers(c, c->parts[c->n_parts - 1].tenant) < 0) {
                c->started_ns = sl_now_ns();
                c->state = STATE_SENDING;
                finish_request(c, CURLE_READ_ERROR, 0);
                return;
        }
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->sending->data);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->sending->len);
        c->started_ns = sl_now_ns();
        c->state = STATE_SENDING;
        mc = curl_multi_add_handle(sl_curl_loop_multi(&c->curl), c->easy);
        if (mc != CURLM_OK) {
                snprintf(c->curl_error, sizeof(c->curl_error), "%s", curl_multi_strerror(mc));
                finish_request(c, CURLE_FAILED_INIT, 0);
        }
}

/* Moves the head batch on while no request is in flight: sets up its parts
 * when it becomes the head, completes it once no part is left (empty
 * batches at once, without a request), and starts the next part. A part
 * too large to encode is split like one Loki answered 413 for. */
static void process_queue(struct sl_loki_client *c) {
        struct sl_batch *batch;
        struct part *p;
        int r;

        while (c->state == STATE_IDLE && (batch = queue_head(c))) {
                if (!c->head_started) {
                        c->head_started = true;
                        c->head = (struct sl_push_report){ 0 };
                        c->head_refused = false;
                        set_head_message(c, 0, "");
                        c->n_parts = 0;
                        if (sl_batch_entries(batch) == 0) {
                                complete(c, SL_PUSH_EMPTY);
                                continue;
                        }
                        parts_start(c, batch);
                }
                if (c->n_parts == 0) {
                        complete(c, c->head_refused ? SL_PUSH_REFUSED : SL_PUSH_SENT);
                        continue;
                }
                p = &c->parts[c->n_parts - 1];
                if (queue_head_item(c)->packed) {
                        c->sending = packed_body(queue_head_item(c), p);
                        if (c->sending) {
                                c->head_retries = 0;
                                sl_backoff_reset(&c->backoff);
                                start_request(c);
                                continue;
                        }
                        /* A range of its own: only after a split, which unpacks. */
                        if (unpack(c, queue_head_item(c)) < 0) {
                                part_refused(c, 0, "batch cannot be encoded again");
                                continue;
                        }
                }
                c->sending = &c->body;
                r = sl_push_encoder_encode_range(c->enc, batch, p->first, p->count, &c->body);
                if (r == -ENOBUFS && p->count > 1) {
                        parts_split(c);
                        continue;
                }
                if (r < 0) {
                        part_refused(c, 0, r == -ENOBUFS ? "batch too large to encode"
                                                         : "batch cannot be encoded");
                        continue;
                }
                c->stats.bytes_encoded += c->body.len;
                c->head_retries = 0;
                sl_backoff_reset(&c->backoff);
                start_request(c);
        }
}

static void on_kick(struct sl_timer *t, uint64_t now_ns, void *userdata) {
        process_queue(userdata);
}

static void on_retry(struct sl_timer *t, uint64_t now_ns, void *userdata) {
        struct sl_loki_client *c = userdata;
        if (c->state == STATE_WAITING)
                start_request(c);
}

static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
        struct sl_loki_client *c = userdata;
        size_t len = size * n, room = c->response.cap - c->response.len;

        sl_buf_append(&c->response, p, SL_MIN(len, room));
        c->response_cut = c->response_cut || len > room;
        return len;
}

/* The header's value after "@name:" in the header line @p, @len bytes
 * (CRLF included); false when the line is another header. */
static bool header_value(const char *p, size_t len, const char *name, struct sl_str *ret) {
        size_t n = strlen(name);

        if (len <= n || p[n] != ':' || strncasecmp(p, name, n) != 0)
                return false;
        *ret = sl_str_from(p + n + 1, len - n - 1);
        return true;
}

/* Keeps the answer's Retry-After (either form) and Date. */
static size_t on_header(char *p, size_t size, size_t n, void *userdata) {
        struct sl_loki_client *c = userdata;
        size_t len = size * n;
        int64_t now_s = sl_wall_ns() / (int64_t)SL_NSEC_PER_SEC, date;
        struct sl_str v;

        if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
                /* A new answer starts (after a 1xx, say). */
                c->retry_after.kind = SL_RETRY_AFTER_NONE;
                c->server_date_s = -1;
        } else if (header_value(p, len, "Retry-After", &v)) {
                if (sl_retry_after_parse(v, now_s, &c->retry_after) < 0)
                        c->retry_after.kind = SL_RETRY_AFTER_NONE;
        } else if (header_value(p, len, "Date", &v)) {
                if (sl_http_date_parse(v, now_s, &date) == 0)
                        c->server_date_s = date;
        }
        return len;
}

/* ---- lifecycle --------------------------------------------------------------- */

static bool append_header(struct curl_slist **list, const char *header) {
        struct curl_slist *l = curl_slist_append(*list, header);
        if (!l)
                return false;
        *list = l;
        return true;
}

/* Whether @name is a header the client sets itself, which configured
 * headers do not overwrite (Promtail's rule). */
static bool own_header(struct sl_str name) {
        static const char *const own[] = { "Content-Type", "User-Agent", "Expect" };

        for (size_t i = 0; i < SL_ARRAY_SIZE(own); i++)
                if (name.len == strlen(own[i]) && strncasecmp(name.ptr, own[i], name.len) == 0)
                        return true;
        return false;
}

static bool is_org_id(struct sl_str name) {
        return name.len == 13 && strncasecmp(name.ptr, "X-Scope-OrgID", 13) == 0;
}

/* A PEM held in memory, as curl takes it (copied). */
static bool set_blob(CURL *e, CURLoption opt, const char *pem) {
        struct curl_blob blob = { .data = (void *)pem, .len = strlen(pem),
                                  .flags = CURL_BLOB_COPY };
        return curl_easy_setopt(e, opt, &blob) == CURLE_OK;
}

static bool setup_tls(CURL *e, const struct sl_loki_client_tls *t) {
        static const long min[] = { CURL_SSLVERSION_TLSv1_0, CURL_SSLVERSION_TLSv1_1,
                                    CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_TLSv1_3 };
        static const long max[] = { CURL_SSLVERSION_MAX_TLSv1_0, CURL_SSLVERSION_MAX_TLSv1_1,
                                    CURL_SSLVERSION_MAX_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_3 };
        long version = CURL_SSLVERSION_DEFAULT;
        bool ok = true;

        if (t->ca_file)
                ok = ok && curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file) == CURLE_OK;
        if (t->ca)
                ok = ok && set_blob(e, CURLOPT_CAINFO_BLOB, t->ca);
        if (t->cert_file)
                ok = ok && curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert_file) == CURLE_OK;
        if (t->cert)
                ok = ok && set_blob(e, CURLOPT_SSLCERT_BLOB, t->cert);
        if (t->key_file)
                ok = ok && curl_easy_setopt(e, CURLOPT_SSLKEY, t->key_file) == CURLE_OK;
        if (t->key)
                ok = ok && set_blob(e, CURLOPT_SSLKEY_BLOB, t->key);
        if (t->insecure_skip_verify)
                ok = ok && curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) == CURLE_OK &&
                     curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK;
        if (t->min_version >= 10 && t->min_version <= 13)
                version = min[t->min_version - 10];
        else if (t->max_version)
                version = CURL_SSLVERSION_TLSv1; /* a bound above needs one below */
        if (t->max_version >= 10 && t->max_version <= 13)
                version |= max[t->max_version - 10];
        if (version != CURL_SSLVERSION_DEFAULT)
                ok = ok && curl_easy_setopt(e, CURLOPT_SSLVERSION, version) == CURLE_OK;
        return ok;
}

/* Prometheus' client uses a proxy only when told to: proxy_url, or the
 * environment with proxy_from_environment. An empty CURLOPT_PROXY keeps
 * curl from reading the environment. */
static bool setup_proxy(struct sl_loki_client *c, const struct sl_loki_client_proxy *p) {
        CURL *e = c->easy;

        for (size_t i = 0; p->connect_headers && p->connect_headers[i]; i++)
                if (!append_header(&c->proxy_headers, p->connect_headers[i]))
                        return false;
        if (c->proxy_headers &&
            (curl_easy_setopt(e, CURLOPT_PROXYHEADER, c->proxy_headers) != CURLE_OK ||
             curl_easy_setopt(e, CURLOPT_HEADEROPT, (long)CURLHEADER_SEPARATE) != CURLE_OK))
                return false;
        if (p->from_environment)
                return true;
        if (curl_easy_setopt(e, CURLOPT_PROXY, p->url ? p->url : "") != CURLE_OK)
                return false;
        return !p->no_proxy || curl_easy_setopt(e, CURLOPT_NOPROXY, p->no_proxy) == CURLE_OK;
}

static char *dup_or_null(const char *s) {
        return s ? sl_xstrdup(s) : NULL;
}

static bool setup_easy(struct sl_loki_client *c, const struct sl_loki_client_options *opts) {
        CURL *e = c->easy;
        long timeout_ms = 0;
        bool ok = true;

        ok = ok && append_header(&c->headers, "Content-Type: application/x-protobuf");
        /* No "Expect: 100-continue" round trip before large bodies. */
        ok = ok && append_header(&c->headers, "Expect:");
        /* The tenant goes with each request (a part may have its own); a
         * configured X-Scope-OrgID stands for it when tenant_id is not set,
         * as Promtail sends that header only when it has no tenant. */
        if (opts->tenant_id && opts->tenant_id[0])
                c->tenant = sl_xstrdup(opts->tenant_id);
        for (size_t i = 0; ok && opts->headers && i < opts->headers->len; i++) {
                const struct sl_kv *kv = &opts->headers->items[i];
                _cleanup_free_ char *h = NULL;

                if (is_org_id(kv->name)) {
                        if (!c->tenant && kv->value.len)
                                c->tenant = sl_xstrndup(kv->value.ptr, kv->value.len);
                        continue;
                }
                if (own_header(kv->name))
                        continue;
                /* "Name;" is curl's spelling of a header with an empty value. */
                h = kv->value.len ? sl_xasprintf("%.*s: %.*s", (int)kv->name.len, kv->name.ptr,
                                                 (int)kv->value.len, kv->value.ptr)
                                  : sl_xasprintf("%.*s;", (int)kv->name.len, kv->name.ptr);
                ok = append_header(&c->headers, h);
        }
        if (!ok)
                return false;
        for (c->headers_tail = c->headers; c->headers_tail->next;)
                c->headers_tail = c->headers_tail->next;
        if (!setup_tls(e, &opts->tls) || !setup_proxy(c, &opts->proxy))
                return false;
        if (opts->timeout_ns) {
                uint64_t ms = opts->timeout_ns / SL_NSEC_PER_MSEC;
                timeout_ms = ms == 0 ? 1 : ms > LONG_MAX ? LONG_MAX : (long)ms;
        }
        /* curl copies the strings it is given. */
        return curl_easy_setopt(e, CURLOPT_URL, opts->url) == CURLE_OK &&
               curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers) == CURLE_OK &&
               (!opts->user_agent ||
                curl_easy_setopt(e, CURLOPT_USERAGENT, opts->user_agent) == CURLE_OK) &&
               curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
               curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
               curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
               curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
               curl_easy_setopt(e, CURLOPT_WRITEDATA, c) == CURLE_OK &&
               curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
               curl_easy_setopt(e, CURLOPT_HEADERDATA, c) == CURLE_OK &&
               curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->curl_error) == CURLE_OK;
}

struct sl_loki_client *sl_loki_client_new(struct sl_loop *loop,
                                          const struct sl_loki_client_options *opts,
                                          sl_push_done_fn done, void *userdata) {
        _cleanup_(sl_loki_client_freep) struct sl_loki_client *c = NULL;

        if (!opts->url)
                return NULL;
        c = sl_xnew(struct sl_loki_client);
        c->loop = loop;
        c->done = done;
        c->userdata = userdata;
        c->max_retries = opts->max_retries;
        c->drop_rate_limited = opts->drop_rate_limited;
        c->basic = opts->auth.basic;
        c->username = dup_or_null(opts->auth.username);
        c->username_file = dup_or_null(opts->auth.username_file);
        c->password = dup_or_null(opts->auth.password);
        c->password_file = dup_or_null(opts->auth.password_file);
        c->auth_type = dup_or_null(opts->auth.type);
        c->credentials = dup_or_null(opts->auth.credentials);
        c->credentials_file = dup_or_null(opts->auth.credentials_file);
        c->secrets_in_files = (c->basic && (c->username_file || c->password_file)) ||
                              (c->auth_type && c->credentials_file);
        c->server_date_s = -1;
        sl_timer_init(&c->retry_timer, on_retry, c);
        sl_timer_init(&c->kick_timer, on_kick, c);
        sl_buf_init(&c->body, BODY_MAX);
        c->sending = &c->body;
        sl_buf_init(&c->spare, BODY_MAX);
        sl_buf_init(&c->response, RESPONSE_MAX);
        c->enc = sl_push_encoder_new(BODY_MAX);
        sl_backoff_init(&c->backoff, opts->backoff_min_ns, opts->backoff_max_ns,
                        sl_now_ns() ^ (uint64_t)(uintptr_t)c);

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return NULL;
        c->curl_global = true;
        if (sl_curl_loop_init(&c->curl, loop, check_done, c) < 0)
                return NULL;
        c->easy = curl_easy_init();
        if (!c->easy)
                return NULL;
        if (!setup_easy(c, opts))
                return NULL;
        return TAKE_PTR(c);
}

void sl_loki_client_free(struct sl_loki_client *c) {
        if (!c)
                return;
        /* curl may still call back into the client while it shuts down. */
        if (sl_curl_loop_multi(&c->curl) && c->easy && c->state == STATE_SENDING)
                curl_multi_remove_handle(sl_curl_loop_multi(&c->curl), c->easy);
        if (c->easy)
                curl_easy_cleanup(c->easy);
        sl_curl_loop_release(&c->curl);
        sl_loop_timer_disarm(c->loop, &c->retry_timer);
        sl_loop_timer_disarm(c->loop, &c->kick_timer);
        curl_slist_free_all(c->headers);
        curl_slist_free_all(c->proxy_headers);
        free(c->username);
        free(c->username_file);
        free(c->password);
        free(c->password_file);
        free(c->auth_type);
        free(c->credentials);
        free(c->credentials_file);
        free(c->tenant);
        free(c->auth_line);
        if (c->curl_global)
                curl_global_cleanup();
        while (c->q_len)
                sl_batch_free(queue_pop(c));
        free(c->queue);
        free(c->statuses);
        free(c->parts);
        sl_push_encoder_free(c->enc);
        sl_buf_release(&c->body);
        sl_buf_release(&c->response);
        sl_buf_release(&c->spare);
        free(c);
}

void sl_loki_client_set_retry_cb(struct sl_loki_client *c, sl_push_retry_fn fn, void *userdata) {
        c->retry = fn;
        c->retry_userdata = userdata;
}

void sl_loki_client_submit(struct sl_loki_client *c, struct sl_batch *batch) {
        queue_push(c, batch);
        pack(c, queue_tail(c));
        c->held_bytes += sl_batch_bytes(batch);
        if (c->state == STATE_IDLE)
                sl_loop_timer_arm(c->loop, &c->kick_timer, 0);
}

size_t sl_loki_client_queued(const struct sl_loki_client *c) {
        return c->q_len;
}

uint64_t sl_loki_client_held_bytes(const struct sl_loki_client *c) {
        return c->held_bytes;
}

bool sl_loki_client_idle(const struct sl_loki_client *c) {
        return c->q_len == 0;
}

const struct sl_loki_client_stats *sl_loki_client_stats(const struct sl_loki_client *c) {
        return &c->stats;
}

const struct sl_push_report *sl_loki_client_last_report(const struct sl_loki_client *c) {
        return &c->last;
}

const char *sl_loki_client_last_refusal(const struct sl_loki_client *c, int *ret_status) {
        if (ret_status)
                *ret_status = c->refusal_status;
        return c->refusal_message;
}

uint64_t sl_loki_client_oldest_ns(const struct sl_loki_client *c) {
        uint64_t oldest = UINT64_MAX;

        /* Batches are opened in submit order, so the head is the oldest
         * but for a batch without entries; the queue is short. */
        for (size_t i = 0; i < c->q_len; i++)
                oldest = SL_MIN(oldest, sl_batch_oldest_ns(c->queue[(c->q_first + i) % c->q_cap].batch));
        return oldest;
}

void sl_loki_client_foreach_status(const struct sl_loki_client *c, sl_loki_status_fn fn,
                                   void *ud) {
        for (size_t i = 0; i < c->n_statuses; i++) {
                const struct status_stat *s = &c->statuses[i];
                fn(ud, s->status, s->count, s->buckets, N_BOUNDS, duration_bounds,
                   s->sum_seconds);
        }
}
