/* receiver.c - sluice-receiver: a stand-in for Loki's push endpoint, used by
 * the end-to-end and fault tests, the demo and the benchmark.
 *
 * It answers POST /loki/api/v1/push the way Loki does (see
 * shared LOKI_PUSH.md): snappy-block protobuf or JSON bodies, label
 * validation with Loki's default limits, 204 on success. Every accepted
 * entry becomes one JSON line in --out, flushed after each push, so a test
 * can compare what arrived with what it wrote. A script of answers
 * (--script, or POST /control at run time) makes it misbehave on purpose:
 * 503s, 429s with Retry-After, 400s, slow answers, dropped connections.
 *
 * Order of checks for a push (the first failing one answers, and no scripted
 * answer is used up): Content-Type present (400), Content-Type and
 * Content-Encoding supported (415), body within --max-body (413), body
 * decodes (400), labels and lines valid (400), at least one entry (422).
 * Then the next scripted answer (204 once the script is used up) is given;
 * only a 2xx other than 260 records the push's entries.
 *
 * Threading: libmicrohttpd runs one thread per connection; everything shared
 * (script, counters, the output file) is under receiver.lock. The main
 * thread only waits for SIGTERM/SIGINT.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <snappy-c.h>

#include "push.pb-c.h"
#include "receiver-common.h"

/* Loki's default limits (LOKI_PUSH.md). */
#define LOKI_MAX_LABEL_NAMES 15
#define LOKI_MAX_NAME_LEN 1024
#define LOKI_MAX_VALUE_LEN 2048
#define LOKI_MAX_LINE_SIZE (256u * 1024u)
/* Loki's default distributor.max_recv_msg_size. */
#define DEFAULT_MAX_BODY (100u * 1024u * 1024u)
/* Decompressed bodies above this are refused (413), whatever --max-body. */
#define MAX_DECODED_BODY (512u * 1024u * 1024u)
/* POST /control bodies are script specs: small. */
#define MAX_CONTROL_BODY 65536u
/* HTTP statuses are counted in an array indexed by code. */
#define STATUS_SLOTS 1000
/* A status that means: close the connection without answering. */
#define ANSWER_CLOSE 0
/* Distinct User-Agent values counted in /stats. */
#define MAX_USER_AGENTS 16

/* One item of a script: the answer for the next @repeat valid pushes. */
struct sl_rcv_answer {
        int status;             /* HTTP status, or ANSWER_CLOSE */
        unsigned repeat;        /* pushes it still answers; 0 = forever */
        int retry_after;        /* Retry-After seconds, or -1 for none */
        unsigned delay_ms;      /* extra wait before answering */
};

/* The answers still to give, in order; 204 once empty. */
struct sl_rcv_script {
        struct sl_rcv_answer *v;       /* owned array */
        size_t n;               /* items in v */
        size_t head;            /* first item not used up */
};

/* A set of strings (the distinct streams accepted), open addressing. */
struct sl_rcv_strset {
        char **slots;           /* owned strings, NULL when free */
        size_t cap;             /* slots, a power of two (or 0) */
        size_t n;               /* strings held */
};

struct sl_rcv_options {
        const char *listen;     /* host:port to bind, borrowed from argv */
        const char *port_file;  /* where the bound port is written, or NULL */
        const char *out_path;   /* entries JSON lines, or NULL */
        bool count_only;        /* count entries, write none */
        bool verbose;           /* one stderr line per push */
        unsigned delay_ms;      /* wait before every push answer */
        size_t max_body;        /* 413 above this many body bytes */
        size_t max_line;        /* 400 for a longer line; 0 = no limit */
        unsigned closed_for_ms; /* refuse connections for this long at start */
};

struct sl_receiver {
        struct sl_rcv_options opt;             /* copied at start, then read-only */
        pthread_mutex_t lock;           /* guards every field below */
        pthread_cond_t wake;            /* signalled when stopping is set */
        bool stopping;                  /* SIGTERM seen: cut delays short */
        struct sl_rcv_script script;           /* owned, replaced by POST /control */
        FILE *out;                      /* owned, NULL in count-only mode */
        uint64_t pushes;                /* push requests answered (any status) */
        uint64_t entries;               /* entries recorded */
        uint64_t bytes;                 /* push body bytes received */
        uint64_t line_bytes;            /* bytes of recorded lines */
        uint64_t closed;                /* pushes answered by closing */
        uint64_t statuses[STATUS_SLOTS];/* push answers by status */
        struct sl_rcv_strset streams;          /* distinct recorded stream texts */
        char *agents[MAX_USER_AGENTS];  /* owned User-Agent values seen */
        uint64_t agent_counts[MAX_USER_AGENTS]; /* pushes per agents[i] */
};

enum sl_rcv_route {
        ROUTE_PUSH,             /* POST /loki/api/v1/push */
        ROUTE_CONTROL,          /* POST /control */
        ROUTE_STATS,            /* GET /stats */
        ROUTE_READY,            /* GET /ready */
        ROUTE_BAD_METHOD,       /* known path, wrong method */
        ROUTE_NOT_FOUND,        /* anything else */
};

/* Per-request state, from the first handler call to MHD's completion. */
struct sl_rcv_request {
        enum sl_rcv_route route;       /* what the request asks for */
        char *body;             /* owned body bytes (kept up to the cap) */
        size_t len;             /* bytes in body */
        size_t cap;             /* bytes allocated for body */
        uint64_t received;      /* body bytes seen, kept or not */
        bool too_large;         /* received went past the route's cap */
};

/* What to answer. */
struct sl_rcv_reply {
        int status;             /* HTTP status, or ANSWER_CLOSE */
        char *body;             /* owned text body, or NULL */
        int retry_after;        /* Retry-After seconds, or -1 */
        unsigned delay_ms;      /* wait before answering */
};

/* A decoded push in one shape for both encodings. Strings are borrowed from
 * the protobuf message or JSON document held by the same struct sl_rcv_push. */
struct sl_rcv_pair {
        const char *name;       /* borrowed bytes */
        size_t name_len;        /* bytes in name */
        const char *value;      /* borrowed bytes */
        size_t value_len;       /* bytes in value */
};

struct sl_rcv_entry {
        char ts[48];            /* unix nanoseconds, decimal */
        const char *line;       /* borrowed bytes */
        size_t line_len;        /* bytes in line */
        struct sl_rcv_pair *md;        /* owned array of structured metadata */
        size_t n_md;            /* pairs in md */
        bool refused;           /* failed validation: not recorded */
};

struct sl_rcv_stream {
        char *text;             /* owned copy of the labels text (as sent, or rendered from JSON) */
        struct sl_rcv_labels labels;    /* parsed labels, owned */
        bool labels_parsed;     /* labels holds the result of parsing text */
        struct sl_rcv_entry *entries;  /* owned array */
        size_t n_entries;       /* entries in entries */
        bool refused;           /* its labels failed validation: nothing recorded */
};

struct sl_rcv_push {
        struct sl_rcv_stream *streams;         /* owned array */
        size_t n_streams;               /* streams in streams */
        Logproto__PushRequest *pb;      /* owned, when the body was protobuf */
        json_t *json;                   /* owned reference, when it was JSON */
        char *raw;                      /* owned decompressed protobuf */
};

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        return s;
}

/* ---- script ---- */

/* Parses a script SPEC: comma-separated items
 *   STATUS[xN|x*][:retry-after=S][:delay-ms=MS]   or   close[xN|x*]...
 * STATUS is 200..599; `close` drops the connection unanswered; xN repeats
 * the item N times, x* forever (default once). Returns 0 and fills
 * @ret_script, or -EINVAL with a message in @reterr. */
static int script_parse(const char *spec, struct sl_rcv_script *ret_script, char *reterr, size_t errlen) {
        _cleanup_free_ char *copy = sl_rcv_xmemdup(spec, strlen(spec));
        struct sl_rcv_script s = {0};
        char *save = NULL;

        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                struct sl_rcv_answer a = { .repeat = 1, .retry_after = -1 };
                char *p = item, *end;
                unsigned long v;

                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                end = p + strlen(p);
                while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
                        *--end = '\0';
                if (*p == '\0')
                        continue;
                if (strncmp(p, "close", 5) == 0) {
                        a.status = ANSWER_CLOSE;
                        p += 5;
                } else {
                        errno = 0;
                        v = strtoul(p, &end, 10);
                        if (end == p || errno || v < 200 || v > 599) {
                                snprintf(reterr, errlen, "script item '%s': status must be 200..599 or 'close'", item);
                                goto out_free;
                        }
                        a.status = (int) v;
                        p = end;
                }
                if (*p == 'x') {
                        p++;
                        if (*p == '*') {
                                a.repeat = 0;
                                p++;
                        } else {
                                errno = 0;
                                v = strtoul(p, &end, 10);
                                if (end == p || errno || v == 0 || v > UINT_MAX) {
                                        snprintf(reterr, errlen, "script item '%s': bad repeat count", item);
                                        goto out_free;
                                }
                                a.repeat = (unsigned) v;
                                p = end;
                        }
                }
                while (*p == ':') {
                        p++;
                        if (strncmp(p, "retry-after=", 12) == 0) {
                                p += 12;
                                errno = 0;
                                v = strtoul(p, &end, 10);
                                if (end == p || errno || v > INT_MAX) {
                                        snprintf(reterr, errlen, "script item '%s': bad retry-after", item);
                                        goto out_free;
                                }
                                a.retry_after = (int) v;
                        } else if (strncmp(p, "delay-ms=", 9) == 0) {
                                p += 9;
                                errno = 0;
                                v = strtoul(p, &end, 10);
                                if (end == p || errno || v > UINT_MAX) {
                                        snprintf(reterr, errlen, "script item '%s': bad delay-ms", item);
                                        goto out_free;
                                }
                                a.delay_ms = (unsigned) v;
                        } else {
                                snprintf(reterr, errlen, "script item '%s': unknown option (retry-after=S, delay-ms=MS)", item);
                                goto out_free;
                        }
                        p = end;
                }
                if (*p != '\0') {
                        snprintf(reterr, errlen, "script item '%s': unexpected '%s'", item, p);
                        goto out_free;
                }
                s.v = sl_rcv_xrealloc(s.v, (s.n + 1) * sizeof(*s.v));
                s.v[s.n++] = a;
        }
        *ret_script = s;
        return 0;

out_free:
        free(s.v);
        return -EINVAL;
}

/* Takes the next scripted answer. Caller holds the lock. */
static struct sl_rcv_answer script_next(struct sl_rcv_script *s) {
        struct sl_rcv_answer a = { .status = MHD_HTTP_NO_CONTENT, .retry_after = -1 };
        struct sl_rcv_answer *cur;

        if (s->head >= s->n)
                return a;
        cur = &s->v[s->head];
        a = *cur;
        if (cur->repeat > 0 && --cur->repeat == 0)
                s->head++;
        return a;
}

/* ---- string set ---- */

static uint64_t hash_bytes(const char *s, size_t len) {
        uint64_t h = 1469598103934665603ull;

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char) s[i];
                h *= 1099511628211ull;
        }
        return h;
}

/* Adds a copy of @s to @set unless it is there. */
static void strset_add(struct sl_rcv_strset *set, const char *s) {
        size_t mask, i;

        if ((set->n + 1) * 2 > set->cap) {
                struct sl_rcv_strset bigger = { .cap = set->cap ? set->cap * 2 : 64 };

                bigger.slots = calloc(bigger.cap, sizeof(char *));
                if (!bigger.slots)
                        abort();
                for (size_t k = 0; k < set->cap; k++) {
                        if (!set->slots[k])
                                continue;
                        i = hash_bytes(set->slots[k], strlen(set->slots[k])) & (bigger.cap - 1);
                        while (bigger.slots[i])
                                i = (i + 1) & (bigger.cap - 1);
                        bigger.slots[i] = set->slots[k];
                        bigger.n++;
                }
                free(set->slots);
                *set = bigger;
        }
        mask = set->cap - 1;
        for (i = hash_bytes(s, strlen(s)) & mask; set->slots[i]; i = (i + 1) & mask)
                if (strcmp(set->slots[i], s) == 0)
                        return;
        set->slots[i] = sl_rcv_xmemdup(s, strlen(s));
        set->n++;
}

static void strset_release(struct sl_rcv_strset *set) {
        for (size_t i = 0; i < set->cap; i++)
                free(set->slots[i]);
        free(set->slots);
        *set = (struct sl_rcv_strset) {0};
}

/* ---- decoding ---- */

static void push_release(struct sl_rcv_push *p) {
        for (size_t i = 0; i < p->n_streams; i++) {
                struct sl_rcv_stream *s = &p->streams[i];

                for (size_t k = 0; k < s->n_entries; k++)
                        free(s->entries[k].md);
                free(s->entries);
                free(s->text);
                sl_rcv_labels_release(&s->labels);
        }
        free(p->streams);
        if (p->pb)
                logproto__push_request__free_unpacked(p->pb, NULL);
        json_decref(p->json);
        free(p->raw);
        *p = (struct sl_rcv_push) {0};
}

/* Writes seconds + nanos as decimal nanoseconds (int64 seconds can exceed
 * int64 nanoseconds, so the sum is done in 128 bits). */
static void format_ts(char *buf, size_t len, int64_t seconds, int32_t nanos) {
        __int128 v = (__int128) seconds * 1000000000 + nanos;
        char digits[48];
        size_t n = 0;
        bool neg = v < 0;
        unsigned __int128 u = neg ? -(unsigned __int128) v : (unsigned __int128) v;

        do {
                digits[n++] = (char) ('0' + (int) (u % 10));
                u /= 10;
        } while (u);
        if (neg)
                digits[n++] = '-';
        for (size_t i = 0; i < n && i + 1 < len; i++)
                buf[i] = digits[n - 1 - i];
        buf[n < len ? n : len - 1] = '\0';
}

/* Decodes a snappy-compressed PushRequest into @p. Returns 0, or an HTTP
 * status (400, 413) with a message in @ret_msg. */
static int decode_protobuf(const struct sl_rcv_request *req, struct sl_rcv_push *p, char **ret_msg) {
        size_t raw_len;

        if (snappy_uncompressed_length(req->body, req->len, &raw_len) != SNAPPY_OK) {
                *ret_msg = xasprintf("snappy: corrupt input (body of %zu bytes is not a snappy block)", req->len);
                return MHD_HTTP_BAD_REQUEST;
        }
        if (raw_len > MAX_DECODED_BODY) {
                *ret_msg = xasprintf("decompressed body of %zu bytes exceeds the limit of %u bytes",
                                     raw_len, MAX_DECODED_BODY);
                return MHD_HTTP_CONTENT_TOO_LARGE;
        }
        p->raw = sl_rcv_xmalloc(raw_len);
        if (snappy_uncompress(req->body, req->len, p->raw, &raw_len) != SNAPPY_OK) {
                *ret_msg = xasprintf("snappy: corrupt input");
                return MHD_HTTP_BAD_REQUEST;
        }
        p->pb = logproto__push_request__unpack(NULL, raw_len, (const uint8_t *) p->raw);
        if (!p->pb) {
                *ret_msg = xasprintf("proto: cannot decode PushRequest (%zu bytes)", raw_len);
                return MHD_HTTP_BAD_REQUEST;
        }
        p->n_streams = p->pb->n_streams;
        p->streams = calloc(p->n_streams ? p->n_streams : 1, sizeof(*p->streams));
        if (!p->streams)
                abort();
        for (size_t i = 0; i < p->n_streams; i++) {
                const Logproto__StreamAdapter *sa = p->pb->streams[i];
                struct sl_rcv_stream *s = &p->streams[i];

                s->text = sl_rcv_xmemdup(sa->labels, strlen(sa->labels));
                s->n_entries = sa->n_entries;
                s->entries = calloc(s->n_entries ? s->n_entries : 1, sizeof(*s->entries));
                if (!s->entries)
                        abort();
                for (size_t k = 0; k < sa->n_entries; k++) {
                        const Logproto__EntryAdapter *ea = sa->entries[k];
                        struct sl_rcv_entry *e = &s->entries[k];

                        format_ts(e->ts, sizeof(e->ts),
                                  ea->timestamp ? ea->timestamp->seconds : 0,
                                  ea->timestamp ? ea->timestamp->nanos : 0);
                        e->line = (const char *) ea->line.data;
                        e->line_len = ea->line.len;
                        e->n_md = ea->n_structuredmetadata;
                        e->md = sl_rcv_xmalloc((e->n_md ? e->n_md : 1) * sizeof(*e->md));
                        for (size_t m = 0; m < e->n_md; m++) {
                                const Logproto__LabelPairAdapter *lp = ea->structuredmetadata[m];

                                e->md[m] = (struct sl_rcv_pair) {
                                        .name = (const char *) lp->name.data, .name_len = lp->name.len,
                                        .value = (const char *) lp->value.data, .value_len = lp->value.len,
                                };
                        }
                }
        }
        return 0;
}

/* Parses a JSON timestamp: a string of decimal nanoseconds (Loki's format). */
static int json_ts(const json_t *v, char *buf, size_t len) {
        const char *s = json_string_value(v);
        long long ns;
        char *end;

        if (!s || !*s)
                return -EINVAL;
        errno = 0;
        ns = strtoll(s, &end, 10);
        if (errno || *end || end == s)
                return -EINVAL;
        snprintf(buf, len, "%lld", ns);
        return 0;
}

/* Decodes Loki's JSON push body into @p. Returns 0, or 400 with @ret_msg. */
static int decode_json(const struct sl_rcv_request *req, struct sl_rcv_push *p, char **ret_msg) {
        json_error_t jerr;
        json_t *streams;

        p->json = json_loadb(req->body, req->len, JSON_ALLOW_NUL, &jerr);
        if (!p->json) {
                *ret_msg = xasprintf("json: %s at line %d column %d", jerr.text, jerr.line, jerr.column);
                return MHD_HTTP_BAD_REQUEST;
        }
        streams = json_object_get(p->json, "streams");
        if (!json_is_array(streams)) {
                *ret_msg = xasprintf("json: \"streams\" must be an array");
                return MHD_HTTP_BAD_REQUEST;
        }
        p->streams = calloc(json_array_size(streams) + 1, sizeof(*p->streams));
        if (!p->streams)
                abort();
        for (size_t i = 0; i < json_array_size(streams); i++) {
                json_t *js = json_array_get(streams, i);
                json_t *labels = json_object_get(js, "stream");
                json_t *values = json_object_get(js, "values");
                struct sl_rcv_stream *s = &p->streams[p->n_streams++];
                const char *name;
                json_t *val;

                if (!json_is_object(labels) || !json_is_array(values)) {
                        *ret_msg = xasprintf("json: stream %zu needs a \"stream\" object and a \"values\" array", i);
                        return MHD_HTTP_BAD_REQUEST;
                }
                json_object_foreach(labels, name, val) {
                        if (!json_is_string(val)) {
                                *ret_msg = xasprintf("json: label \"%s\" of stream %zu is not a string", name, i);
                                return MHD_HTTP_BAD_REQUEST;
                        }
                        if (!sl_rcv_label_name_valid(name, strlen(name))) {
                                *ret_msg = xasprintf("error parsing labels: invalid label name \"%s\"", name);
                                return MHD_HTTP_BAD_REQUEST;
                        }
                        sl_rcv_labels_add(&s->labels, name, strlen(name),
                                          json_string_value(val), json_string_length(val));
                }
                /* Keep the rendered (sorted) form, as a protobuf push would carry. */
                s->text = sl_rcv_labels_render(&s->labels);
                sl_rcv_labels_release(&s->labels);
                s->entries = calloc(json_array_size(values) + 1, sizeof(*s->entries));
                if (!s->entries)
                        abort();
                for (size_t k = 0; k < json_array_size(values); k++) {
                        json_t *jv = json_array_get(values, k);
                        json_t *line = json_array_get(jv, 1);
                        json_t *md = json_array_get(jv, 2);
                        struct sl_rcv_entry *e = &s->entries[s->n_entries++];
                        size_t m = 0;

                        if (!json_is_array(jv) || json_array_size(jv) < 2 || json_array_size(jv) > 3 ||
                            json_ts(json_array_get(jv, 0), e->ts, sizeof(e->ts)) < 0 ||
                            !json_is_string(line) || (md && !json_is_object(md))) {
                                *ret_msg = xasprintf("json: value %zu of stream %zu must be "
                                                     "[\"<unix ns>\", \"<line>\"(, {metadata})]", k, i);
                                return MHD_HTTP_BAD_REQUEST;
                        }
                        e->line = json_string_value(line);
                        e->line_len = json_string_length(line);
                        e->md = sl_rcv_xmalloc((json_object_size(md) + 1) * sizeof(*e->md));
                        json_object_foreach(md, name, val) {
                                if (!json_is_string(val)) {
                                        *ret_msg = xasprintf("json: metadata \"%s\" is not a string", name);
                                        return MHD_HTTP_BAD_REQUEST;
                                }
                                e->md[m++] = (struct sl_rcv_pair) {
                                        .name = name, .name_len = strlen(name),
                                        .value = json_string_value(val), .value_len = json_string_length(val),
                                };
                        }
                        e->n_md = m;
                }
        }
        return 0;
}

/* Validation messages, grouped as Loki's util.GroupedErrors does: each
 * distinct message once, prefixed "N errors like: " when there is more
 * than one distinct message or it came more than once, joined by "; " (in
 * order of first appearance, where Go's map order is random). */
struct sl_rcv_errors {
        char **msg;             /* owned distinct messages */
        size_t *count;          /* owned, parallel to msg */
        size_t n;               /* distinct messages */
};

static void errors_add(struct sl_rcv_errors *e, char *msg_owned) {
        for (size_t i = 0; i < e->n; i++)
                if (strcmp(e->msg[i], msg_owned) == 0) {
                        e->count[i]++;
                        free(msg_owned);
                        return;
                }
        e->msg = sl_rcv_xrealloc(e->msg, (e->n + 1) * sizeof(*e->msg));
        e->count = sl_rcv_xrealloc(e->count, (e->n + 1) * sizeof(*e->count));
        e->msg[e->n] = msg_owned;
        e->count[e->n++] = 1;
}

/* The grouped text (new), or NULL when there is no error; frees @e. */
static char *errors_take(struct sl_rcv_errors *e) {
        char *text = NULL;
        size_t len = 0;

        for (size_t i = 0; i < e->n; i++) {
                char *part = e->n > 1 || e->count[i] > 1 ? xasprintf("%zu errors like: %s", e->count[i], e->msg[i])
                                                         : xasprintf("%s", e->msg[i]);
                size_t n = strlen(part);

                text = sl_rcv_xrealloc(text, len + n + 3);
                if (i) {
                        memcpy(text + len, "; ", 2);
                        len += 2;
                }
                memcpy(text + len, part, n + 1);
                len += n;
                free(part);
                free(e->msg[i]);
        }
        free(e->msg);
        free(e->count);
        *e = (struct sl_rcv_errors){ 0 };
        return text;
}

/* Checks the labels of @s as Loki 3.4's distributor does with the default
 * limits (pkg/distributor/validator.go): the first failure is the stream's
 * message (new), or NULL when they pass. */
static char *validate_labels(struct sl_rcv_stream *s) {
        size_t names;
        char err[512];

        if (!s->labels_parsed) {
                if (sl_rcv_labels_parse(s->text, strlen(s->text), &s->labels, err, sizeof(err)) < 0)
                        return xasprintf("Error parsing labels '%s' with error: %s", s->text, err);
                s->labels_parsed = true;
        }
        if (s->labels.n == 0)
                return xasprintf("error at least one label pair is required per stream");
        /* Loki adds service_name itself, and does not count it. */
        names = s->labels.n - (sl_rcv_labels_find(&s->labels, "service_name", 12) ? 1 : 0);
        if (names > LOKI_MAX_LABEL_NAMES)
                return xasprintf("entry for stream '%s' has %zu label names; limit %d", s->text, names,
                                 LOKI_MAX_LABEL_NAMES);
        for (size_t k = 0; k < s->labels.n; k++) {
                if (s->labels.v[k].name_len > LOKI_MAX_NAME_LEN)
                        return xasprintf("stream '%s' has label name too long: '%s'", s->text, s->labels.v[k].name);
                if (s->labels.v[k].value_len > LOKI_MAX_VALUE_LEN)
                        return xasprintf("stream '%s' has label value too long: '%s'", s->text,
                                         s->labels.v[k].value);
        }
        return NULL;
}

/* Checks @p as Loki does with its default limits: a stream whose labels
 * fail is refused whole, an entry whose line is too long alone; the rest
 * is accepted. Returns 0 when everything passed; 400 with the grouped
 * messages in @ret_msg when something was refused (what passed is still
 * recorded, as Loki stores it); 422 when the push holds no entry at all. */
static int validate(const struct sl_rcv_options *opt, struct sl_rcv_push *p, char **ret_msg) {
        struct sl_rcv_errors errors = { 0 };
        size_t total = 0;

        for (size_t i = 0; i < p->n_streams; i++) {
                struct sl_rcv_stream *s = &p->streams[i];
                char *msg;

                if (s->n_entries == 0)
                        continue;
                total += s->n_entries;
                msg = validate_labels(s);
                if (msg) {
                        s->refused = true;
                        errors_add(&errors, msg);
                        continue;
                }
                for (size_t k = 0; k < s->n_entries; k++) {
                        if (opt->max_line && s->entries[k].line_len > opt->max_line) {
                                s->entries[k].refused = true;
                                errors_add(&errors, xasprintf("Max entry size '%zu' bytes exceeded for stream '%s' "
                                                              "while adding an entry with length '%zu' bytes",
                                                              opt->max_line, s->text, s->entries[k].line_len));
                        }
                }
        }
        if (errors.n) {
                *ret_msg = errors_take(&errors);
                return MHD_HTTP_BAD_REQUEST;
        }
        if (total == 0) {
                *ret_msg = xasprintf("push request holds no entries (no valid stream)");
                return MHD_HTTP_UNPROCESSABLE_CONTENT;
        }
        return 0;
}

/* Whether entry @k of @s passed validation. */
static bool accepted(const struct sl_rcv_stream *s, size_t k) {
        return !s->refused && !s->entries[k].refused;
}

/* ---- recording ---- */

/* Length of the valid UTF-8 sequence at @s (@len bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t len) {
        uint32_t cp;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

/* A JSON string of @len bytes at @s; invalid UTF-8 bytes become U+FFFD and
 * set *@lossy. Returns a new reference. */
static json_t *json_bytes(const char *s, size_t len, bool *lossy) {
        _cleanup_free_ char *fixed = NULL;
        size_t n = 0;
        json_t *j;

        j = json_stringn(len ? s : "", len);
        if (j)
                return j;
        *lossy = true;
        fixed = sl_rcv_xmalloc(len * 3 + 1);
        for (size_t i = 0; i < len;) {
                size_t k = utf8_seq((const unsigned char *) s + i, len - i);

                if (k == 0) {
                        memcpy(fixed + n, "\xef\xbf\xbd", 3);
                        n += 3;
                        i++;
                } else {
                        memcpy(fixed + n, s + i, k);
                        n += k;
                        i += k;
                }
        }
        j = json_stringn(fixed, n);
        if (!j)
                abort();
        return j;
}

/* Appends one JSON line per entry of @p to the output file. Caller holds
 * the lock. */
static void record(struct sl_receiver *rcv, const struct sl_rcv_push *p, uint64_t seq, const char *tenant) {
        for (size_t i = 0; i < p->n_streams; i++) {
                const struct sl_rcv_stream *s = &p->streams[i];
                json_t *labels = json_object();
                bool lossy_labels = false;

                for (size_t k = 0; k < s->labels.n; k++)
                        json_object_set_new(labels, s->labels.v[k].name,
                                            json_bytes(s->labels.v[k].value, s->labels.v[k].value_len,
                                                       &lossy_labels));
                for (size_t k = 0; k < s->n_entries; k++) {
                        const struct sl_rcv_entry *e = &s->entries[k];
                        json_t *obj, *md;
                        bool lossy = lossy_labels;

                        if (!accepted(s, k))
                                continue;
                        obj = json_object();
                        md = json_object();

                        json_object_set(obj, "labels", labels);
                        json_object_set_new(obj, "stream", json_bytes(s->text, strlen(s->text), &lossy));
                        json_object_set_new(obj, "ts", json_string(e->ts));
                        json_object_set_new(obj, "line", json_bytes(e->line, e->line_len, &lossy));
                        for (size_t m = 0; m < e->n_md; m++) {
                                _cleanup_free_ char *name = sl_rcv_xmemdup(e->md[m].name, e->md[m].name_len);
                                bool lossy_name = false;
                                json_t *jname = json_bytes(name, e->md[m].name_len, &lossy_name);

                                json_object_set_new(md, json_string_value(jname),
                                                    json_bytes(e->md[m].value, e->md[m].value_len, &lossy));
                                json_decref(jname);
                                lossy = lossy || lossy_name;
                        }
                        json_object_set_new(obj, "metadata", md);
                        json_object_set_new(obj, "push", json_integer((json_int_t) seq));
                        if (tenant)
                                json_object_set_new(obj, "tenant", json_string(tenant));
                        if (lossy)
                                json_object_set_new(obj, "invalid_utf8", json_true());
                        json_dumpf(obj, rcv->out, JSON_COMPACT);
                        fputc('\n', rcv->out);
                        json_decref(obj);
                }
                json_decref(labels);
        }
        fflush(rcv->out);
}

/* Counts @agent's push. Caller holds the lock. */
static void count_agent(struct sl_receiver *rcv, const char *agent) {
        for (size_t i = 0; i < MAX_USER_AGENTS; i++) {
                if (!rcv->agents[i]) {
                        rcv->agents[i] = sl_rcv_xmemdup(agent, strlen(agent));
                        rcv->agent_counts[i] = 1;
                        return;
                }
                if (strcmp(rcv->agents[i], agent) == 0) {
                        rcv->agent_counts[i]++;
                        return;
                }
        }
}

/* ---- request handling ---- */

/* The media type of a Content-Type value, lowercased, without parameters. */
static void media_type(const char *ct, char *buf, size_t len) {
        size_t n = 0;

        while (*ct == ' ')
                ct++;
        while (*ct && *ct != ';' && *ct != ' ' && n + 1 < len)
                buf[n++] = (char) tolower((unsigned char) *ct++);
        buf[n] = '\0';
}

/* Wait up to @ms, cut short when the receiver stops. */
static void wait_ms(struct sl_receiver *rcv, unsigned ms) {
        struct timespec deadline;

        if (ms == 0)
                return;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += ms / 1000;
        deadline.tv_nsec += (long) (ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&rcv->lock);
        while (!rcv->stopping)
                if (pthread_cond_timedwait(&rcv->wake, &rcv->lock, &deadline) == ETIMEDOUT)
                        break;
        pthread_mutex_unlock(&rcv->lock);
}

/* Counts and records the accepted entries of @p (@n_entries of them,
 * @n_bytes of lines). Caller holds the lock. */
static void keep(struct sl_receiver *rcv, const struct sl_rcv_push *p, uint64_t seq, const char *tenant,
                 size_t n_entries, size_t n_bytes) {
        rcv->entries += n_entries;
        rcv->line_bytes += n_bytes;
        for (size_t i = 0; i < p->n_streams; i++)
                for (size_t k = 0; k < p->streams[i].n_entries; k++)
                        if (accepted(&p->streams[i], k)) {
                                strset_add(&rcv->streams, p->streams[i].text);
                                break;
                        }
        if (rcv->out)
                record(rcv, p, seq, tenant);
}

/* The text body of a scripted refusal, worded like Loki's. */
static char *scripted_body(int status, size_t entries, size_t bytes) {
        if (status == MHD_HTTP_TOO_MANY_REQUESTS)
                return xasprintf("Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec) "
                                 "while attempting to ingest '%zu' lines totaling '%zu' bytes, reduce log "
                                 "volume or contact your Loki administrator to see if the limit can be "
                                 "increased (scripted)\n", entries, bytes);
        if (status == MHD_HTTP_BAD_REQUEST)
                return xasprintf("entry too far behind, entry timestamp is older than the newest entry "
                                 "of the stream (scripted)\n");
        return xasprintf("scripted answer %d\n", status);
}

/* Answers a push: checks it (see the file comment for the order), then
 * takes the next scripted answer and records the entries if it is a 2xx. */
static struct sl_rcv_reply handle_push(struct sl_receiver *rcv, struct MHD_Connection *c, struct sl_rcv_request *req) {
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
        const char *tenant = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Scope-OrgID");
        const char *agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
        struct sl_rcv_reply rep = { .retry_after = -1, .delay_ms = rcv->opt.delay_ms };
        size_t n_entries = 0, n_bytes = 0;
        struct sl_rcv_push p = {0};
        bool partial;
        char *msg = NULL;
        int status = 0;
        uint64_t seq;
        char mt[128];

        if (!ct || !*ct) {
                status = MHD_HTTP_BAD_REQUEST;
                msg = xasprintf("missing Content-Type header (want application/x-protobuf or application/json)");
        } else {
                media_type(ct, mt, sizeof(mt));
                if (ce && *ce && strcasecmp(ce, "identity") != 0) {
                        status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
                        msg = xasprintf("unsupported Content-Encoding '%s'", ce);
                } else if (strcmp(mt, "application/x-protobuf") != 0 && strcmp(mt, "application/json") != 0) {
                        status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
                        msg = xasprintf("unsupported Content-Type '%s'", ct);
                } else if (req->too_large) {
                        status = MHD_HTTP_CONTENT_TOO_LARGE;
                        msg = xasprintf("request body of %" PRIu64 " bytes exceeds the limit of %zu bytes",
                                        req->received, rcv->opt.max_body);
                } else if (strcmp(mt, "application/json") == 0) {
                        status = decode_json(req, &p, &msg);
                } else {
                        status = decode_protobuf(req, &p, &msg);
                }
        }
        if (status == 0)
                status = validate(&rcv->opt, &p, &msg);
        /* A 400 from validation still stores what passed, as Loki does. */
        partial = status == MHD_HTTP_BAD_REQUEST && p.n_streams > 0;
        for (size_t i = 0; (status == 0 || partial) && i < p.n_streams; i++) {
                for (size_t k = 0; k < p.streams[i].n_entries; k++) {
                        if (!accepted(&p.streams[i], k))
                                continue;
                        n_entries++;
                        n_bytes += p.streams[i].entries[k].line_len;
                }
        }

        pthread_mutex_lock(&rcv->lock);
        seq = ++rcv->pushes;
        rcv->bytes += req->received;
        if (agent)
                count_agent(rcv, agent);
        if (status != 0) {
                rep.status = status;
                rcv->statuses[status]++;
                rep.body = xasprintf("%s\n", msg);
                if (partial && n_entries)
                        keep(rcv, &p, seq, tenant, n_entries, n_bytes);
        } else {
                struct sl_rcv_answer a = script_next(&rcv->script);

                rep.status = a.status;
                rep.retry_after = a.retry_after;
                rep.delay_ms += a.delay_ms;
                if (a.status == ANSWER_CLOSE)
                        rcv->closed++;
                else
                        rcv->statuses[a.status]++;
                if (a.status >= 200 && a.status < 300 && a.status != 260) {
                        keep(rcv, &p, seq, tenant, n_entries, n_bytes);
                } else if (a.status != ANSWER_CLOSE) {
                        rep.body = scripted_body(a.status, n_entries, n_bytes);
                }
        }
        pthread_mutex_unlock(&rcv->lock);

        if (rcv->opt.verbose)
                fprintf(stderr, "sluice-receiver: push #%" PRIu64 ": %d, %zu streams, %zu entries, "
                        "%" PRIu64 " body bytes%s%s\n", seq, rep.status, p.n_streams, n_entries,
                        req->received, msg ? ": " : "", msg ? msg : "");
        free(msg);
        push_release(&p);
        return rep;
}

static struct sl_rcv_reply handle_control(struct sl_receiver *rcv, struct sl_rcv_request *req) {
        struct sl_rcv_reply rep = { .status = MHD_HTTP_NO_CONTENT, .retry_after = -1 };
        struct sl_rcv_script s;
        char err[512];

        if (req->too_large) {
                rep.status = MHD_HTTP_CONTENT_TOO_LARGE;
                rep.body = xasprintf("control body over %u bytes\n", MAX_CONTROL_BODY);
                return rep;
        }
        {
                _cleanup_free_ char *spec = sl_rcv_xmemdup(req->body ? req->body : "", req->len);

                if (script_parse(spec, &s, err, sizeof(err)) < 0) {
                        rep.status = MHD_HTTP_BAD_REQUEST;
                        rep.body = xasprintf("%s\n", err);
                        return rep;
                }
        }
        pthread_mutex_lock(&rcv->lock);
        free(rcv->script.v);
        rcv->script = s;
        pthread_mutex_unlock(&rcv->lock);
        return rep;
}

static struct sl_rcv_reply handle_stats(struct sl_receiver *rcv) {
        struct sl_rcv_reply rep = { .status = MHD_HTTP_OK, .retry_after = -1 };
        json_t *o = json_object(), *st = json_object(), *ua = json_object();
        char key[16];
        char *text;

        pthread_mutex_lock(&rcv->lock);
        json_object_set_new(o, "pushes", json_integer((json_int_t) rcv->pushes));
        json_object_set_new(o, "entries", json_integer((json_int_t) rcv->entries));
        json_object_set_new(o, "bytes", json_integer((json_int_t) rcv->bytes));
        json_object_set_new(o, "line_bytes", json_integer((json_int_t) rcv->line_bytes));
        json_object_set_new(o, "streams", json_integer((json_int_t) rcv->streams.n));
        json_object_set_new(o, "closed", json_integer((json_int_t) rcv->closed));
        for (int i = 0; i < STATUS_SLOTS; i++) {
                if (!rcv->statuses[i])
                        continue;
                snprintf(key, sizeof(key), "%d", i);
                json_object_set_new(st, key, json_integer((json_int_t) rcv->statuses[i]));
        }
        for (size_t i = 0; i < MAX_USER_AGENTS && rcv->agents[i]; i++)
                json_object_set_new(ua, rcv->agents[i], json_integer((json_int_t) rcv->agent_counts[i]));
        pthread_mutex_unlock(&rcv->lock);
        json_object_set_new(o, "statuses", st);
        json_object_set_new(o, "user_agents", ua);
        text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text)
                abort();
        rep.body = xasprintf("%s\n", text);
        free(text);
        return rep;
}

static enum sl_rcv_route route_of(const char *method, const char *url) {
        bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
        bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;

        if (strcmp(url, "/loki/api/v1/push") == 0)
                return post ? ROUTE_PUSH : ROUTE_BAD_METHOD;
        if (strcmp(url, "/control") == 0)
                return post ? ROUTE_CONTROL : ROUTE_BAD_METHOD;
        if (strcmp(url, "/stats") == 0)
                return get ? ROUTE_STATS : ROUTE_BAD_METHOD;
        if (strcmp(url, "/ready") == 0)
                return get ? ROUTE_READY : ROUTE_BAD_METHOD;
        return ROUTE_NOT_FOUND;
}

/* Keeps body bytes up to the route's cap; counts (and drops) the rest. */
static void request_take(const struct sl_receiver *rcv, struct sl_rcv_request *req, const char *data, size_t len) {
        size_t cap = req->route == ROUTE_PUSH ? rcv->opt.max_body :
                     req->route == ROUTE_CONTROL ? MAX_CONTROL_BODY : 0;

        req->received += len;
        if (req->too_large || req->received > cap) {
                req->too_large = true;
                free(req->body);
                req->body = NULL;
                req->len = req->cap = 0;
                return;
        }
        if (req->len + len > req->cap) {
                req->cap = (req->len + len) * 2 > cap ? cap : (req->len + len) * 2;
                req->body = sl_rcv_xrealloc(req->body, req->cap);
        }
        memcpy(req->body + req->len, data, len);
        req->len += len;
}

/* Sends @rep (after its delay), taking ownership of its body. */
static enum MHD_Result send_reply(struct sl_receiver *rcv, struct MHD_Connection *c, struct sl_rcv_reply *rep,
                                  const char *content_type) {
        struct MHD_Response *resp;
        enum MHD_Result r;
        char value[32];

        wait_ms(rcv, rep->delay_ms);
        if (rep->status == ANSWER_CLOSE) {
                free(rep->body);
                return MHD_NO;
        }
        if (rep->body)
                resp = MHD_create_response_from_buffer(strlen(rep->body), rep->body, MHD_RESPMEM_MUST_FREE);
        else
                resp = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
        if (!resp)
                abort();
        if (rep->body)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        if (rep->retry_after >= 0) {
                snprintf(value, sizeof(value), "%d", rep->retry_after);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, value);
        }
        r = MHD_queue_response(c, (unsigned) rep->status, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls) {
        struct sl_receiver *rcv = cls;
        struct sl_rcv_request *req = *req_cls;
        struct sl_rcv_reply rep = { .retry_after = -1 };
        const char *text = "text/plain; charset=utf-8";

        if (!req) {
                req = calloc(1, sizeof(*req));
                if (!req)
                        abort();
                req->route = route_of(method, url);
                *req_cls = req;
                return MHD_YES;
        }
        if (*upload_data_size) {
                request_take(rcv, req, upload_data, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }
        switch (req->route) {
        case ROUTE_PUSH:
                rep = handle_push(rcv, c, req);
                return send_reply(rcv, c, &rep, text);
        case ROUTE_CONTROL:
                rep = handle_control(rcv, req);
                return send_reply(rcv, c, &rep, text);
        case ROUTE_STATS:
                rep = handle_stats(rcv);
                return send_reply(rcv, c, &rep, "application/json");
        case ROUTE_READY:
                rep.status = MHD_HTTP_OK;
                rep.body = xasprintf("ready\n");
                return send_reply(rcv, c, &rep, text);
        case ROUTE_BAD_METHOD:
                rep.status = MHD_HTTP_METHOD_NOT_ALLOWED;
                rep.body = xasprintf("method %s not allowed on %s\n", method, url);
                return send_reply(rcv, c, &rep, text);
        case ROUTE_NOT_FOUND:
        default:
                rep.status = MHD_HTTP_NOT_FOUND;
                rep.body = xasprintf("404 page not found\n");
                return send_reply(rcv, c, &rep, text);
        }
}

static void request_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                              enum MHD_RequestTerminationCode toe) {
        struct sl_rcv_request *req = *req_cls;

        if (!req)
                return;
        free(req->body);
        free(req);
        *req_cls = NULL;
}

/* libmicrohttpd's error log, minus the line it prints for every connection
 * a `close` answer drops on purpose. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];

        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (strstr(msg, "Application reported internal error"))
                return;
        fprintf(stderr, "sluice-receiver: microhttpd: %s%s", msg,
                msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

/* ---- startup ---- */

/* Binds a TCP socket to @listen ("host:port", "[v6]:port"). Returns the
 * socket (bound, not listening) or -errno, with the bound port. */
static int bind_socket(const char *listen_spec, int *ret_family, unsigned *ret_port) {
        _cleanup_free_ char *host = NULL;
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
        struct addrinfo *ai = NULL;
        struct sockaddr_storage ss;
        socklen_t sslen = sizeof(ss);
        const char *colon = strrchr(listen_spec, ':');
        int fd, one = 1, r;

        if (!colon)
                return -EINVAL;
        if (listen_spec[0] == '[' && colon > listen_spec && colon[-1] == ']')
                host = sl_rcv_xmemdup(listen_spec + 1, (size_t) (colon - listen_spec - 2));
        else
                host = sl_rcv_xmemdup(listen_spec, (size_t) (colon - listen_spec));
        r = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &ai);
        if (r != 0) {
                fprintf(stderr, "sluice-receiver: %s: %s\n", listen_spec, gai_strerror(r));
                return -EINVAL;
        }
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                r = -errno;
                goto out_free;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
            getsockname(fd, (struct sockaddr *) &ss, &sslen) < 0) {
                r = -errno;
                close(fd);
                goto out_free;
        }
        *ret_family = ai->ai_family;
        *ret_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                                   : ((struct sockaddr_in *) &ss)->sin_port);
        r = fd;
out_free:
        freeaddrinfo(ai);
        return r;
}

/* Writes @port to @path through a temporary file and a rename, so a reader
 * sees either no file or the whole number. */
static int write_port_file(const char *path, unsigned port) {
        _cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", path, (long) getpid());
        FILE *f = fopen(tmp, "w");

        if (!f)
                return -errno;
        fprintf(f, "%u\n", port);
        if (fclose(f) != 0 || rename(tmp, path) < 0) {
                int r = -errno;

                unlink(tmp);
                return r;
        }
        return 0;
}

static void usage(FILE *f) {
        fprintf(f,
                "usage: sluice-receiver [options]\n"
                "  A stand-in for Loki's push API, for tests, demos and benchmarks.\n"
                "  --listen HOST:PORT     address to bind (default 127.0.0.1:0; port 0 picks one)\n"
                "  --port-file FILE       write the bound port there (atomically)\n"
                "  --out FILE             one JSON line per accepted entry, flushed per push\n"
                "  --count-only           record nothing per entry, only count (benchmarks)\n"
                "  --script SPEC          answers for successive valid pushes, then 204:\n"
                "                         STATUS[xN|x*][:retry-after=S][:delay-ms=MS] or close[xN|x*],\n"
                "                         comma-separated, e.g. 503x3,429:retry-after=1,400,204\n"
                "  --delay-ms N           wait N ms before answering each push\n"
                "  --max-body BYTES       answer 413 above this body size (default %u)\n"
                "  --max-line-size BYTES  answer 400 for a longer line (default %u, 0 = none)\n"
                "  --closed-for-ms N      refuse connections for N ms after start\n"
                "  --verbose              one line per push on stderr\n"
                "Endpoints: POST /loki/api/v1/push, GET /stats, GET /ready, POST /control (body: SPEC)\n",
                DEFAULT_MAX_BODY, LOKI_MAX_LINE_SIZE);
}

static int parse_size(const char *s, size_t *ret) {
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || v > SIZE_MAX)
                return -EINVAL;
        *ret = (size_t) v;
        return 0;
}

static int parse_args(int argc, char **argv, struct sl_rcv_options *opt, const char **ret_script) {
        enum { OPT_LISTEN = 256, OPT_PORT_FILE, OPT_OUT, OPT_COUNT_ONLY, OPT_SCRIPT, OPT_DELAY,
               OPT_MAX_BODY, OPT_MAX_LINE, OPT_CLOSED_FOR, OPT_VERBOSE, OPT_HELP };
        static const struct option longopts[] = {
                { "listen", required_argument, NULL, OPT_LISTEN },
                { "port-file", required_argument, NULL, OPT_PORT_FILE },
                { "out", required_argument, NULL, OPT_OUT },
                { "count-only", no_argument, NULL, OPT_COUNT_ONLY },
                { "script", required_argument, NULL, OPT_SCRIPT },
                { "delay-ms", required_argument, NULL, OPT_DELAY },
                { "max-body", required_argument, NULL, OPT_MAX_BODY },
                { "max-line-size", required_argument, NULL, OPT_MAX_LINE },
                { "closed-for-ms", required_argument, NULL, OPT_CLOSED_FOR },
                { "verbose", no_argument, NULL, OPT_VERBOSE },
                { "help", no_argument, NULL, OPT_HELP },
                {0},
        };
        size_t v;
        int c;

        *opt = (struct sl_rcv_options) {
                .listen = "127.0.0.1:0",
                .max_body = DEFAULT_MAX_BODY,
                .max_line = LOKI_MAX_LINE_SIZE,
        };
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_LISTEN: opt->listen = optarg; break;
                case OPT_PORT_FILE: opt->port_file = optarg; break;
                case OPT_OUT: opt->out_path = optarg; break;
                case OPT_COUNT_ONLY: opt->count_only = true; break;
                case OPT_SCRIPT: *ret_script = optarg; break;
                case OPT_VERBOSE: opt->verbose = true; break;
                case OPT_DELAY:
                case OPT_CLOSED_FOR:
                        if (parse_size(optarg, &v) < 0 || v > UINT_MAX) {
                                fprintf(stderr, "sluice-receiver: bad number of milliseconds '%s'\n", optarg);
                                return -EINVAL;
                        }
                        if (c == OPT_DELAY)
                                opt->delay_ms = (unsigned) v;
                        else
                                opt->closed_for_ms = (unsigned) v;
                        break;
                case OPT_MAX_BODY:
                case OPT_MAX_LINE:
                        if (parse_size(optarg, &v) < 0 || (c == OPT_MAX_BODY && v == 0)) {
                                fprintf(stderr, "sluice-receiver: bad byte count '%s'\n", optarg);
                                return -EINVAL;
                        }
                        if (c == OPT_MAX_BODY)
                                opt->max_body = v;
                        else
                                opt->max_line = v;
                        break;
                case OPT_HELP:
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }
        if (optind != argc) {
                fprintf(stderr, "sluice-receiver: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

/* Waits for SIGTERM or SIGINT, at most @ms milliseconds (0: forever).
 * Returns true if a signal came. */
static bool wait_signal(const sigset_t *set, unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        int r;

        for (;;) {
                r = ms ? sigtimedwait(set, NULL, &ts) : sigwaitinfo(set, NULL);
                if (r > 0)
                        return true;
                if (r < 0 && errno == EAGAIN)
                        return false;
                /* EINTR: another signal interrupted the wait; wait again. (A
                 * timed wait restarts with its full timeout: fine for tests.) */
        }
}

int main(int argc, char **argv) {
        struct sl_receiver rcv = {0};
        struct MHD_Daemon *daemon;
        const char *spec = NULL;
        pthread_condattr_t cattr;
        unsigned port = 0;
        sigset_t sigs;
        char err[512];
        int fd, family = AF_INET, r;

        if (parse_args(argc, argv, &rcv.opt, &spec) < 0)
                return 2;
        if (spec && script_parse(spec, &rcv.script, err, sizeof(err)) < 0) {
                fprintf(stderr, "sluice-receiver: --script: %s\n", err);
                return 2;
        }
        pthread_mutex_init(&rcv.lock, NULL);
        pthread_condattr_init(&cattr);
        pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
        pthread_cond_init(&rcv.wake, &cattr);
        pthread_condattr_destroy(&cattr);

        /* Signals: MHD's threads inherit the mask, so only sigwait sees them. */
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);

        if (rcv.opt.out_path && !rcv.opt.count_only) {
                rcv.out = fopen(rcv.opt.out_path, "w");
                if (!rcv.out) {
                        fprintf(stderr, "sluice-receiver: %s: %s\n", rcv.opt.out_path, strerror(errno));
                        return 1;
                }
                setvbuf(rcv.out, NULL, _IOFBF, 1 << 16);
        }
        fd = bind_socket(rcv.opt.listen, &family, &port);
        if (fd < 0) {
                fprintf(stderr, "sluice-receiver: cannot bind %s: %s\n", rcv.opt.listen, strerror(-fd));
                return 1;
        }
        /* Bound but not listening: connections are refused until listen(). */
        if (rcv.opt.closed_for_ms) {
                if (rcv.opt.port_file && (r = write_port_file(rcv.opt.port_file, port)) < 0) {
                        fprintf(stderr, "sluice-receiver: %s: %s\n", rcv.opt.port_file, strerror(-r));
                        return 1;
                }
                if (wait_signal(&sigs, rcv.opt.closed_for_ms)) {
                        close(fd);
                        if (rcv.out)
                                fclose(rcv.out);
                        return 0;
                }
        }
        if (listen(fd, 128) < 0) {
                fprintf(stderr, "sluice-receiver: listen: %s\n", strerror(errno));
                return 1;
        }
        daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                  MHD_USE_ERROR_LOG | (family == AF_INET6 ? MHD_USE_IPv6 : 0),
                                  0, NULL, NULL, handle_request, &rcv,
                                  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                  MHD_OPTION_LISTEN_SOCKET, fd,
                                  MHD_OPTION_NOTIFY_COMPLETED, request_completed, &rcv,
                                  MHD_OPTION_END);
        if (!daemon) {
                fprintf(stderr, "sluice-receiver: cannot start the HTTP server\n");
                return 1;
        }
        if (!rcv.opt.closed_for_ms && rcv.opt.port_file &&
            (r = write_port_file(rcv.opt.port_file, port)) < 0) {
                fprintf(stderr, "sluice-receiver: %s: %s\n", rcv.opt.port_file, strerror(-r));
                MHD_stop_daemon(daemon);
                return 1;
        }
        fprintf(stderr, "sluice-receiver: listening on %s, port %u\n", rcv.opt.listen, port);

        wait_signal(&sigs, 0);

        pthread_mutex_lock(&rcv.lock);
        rcv.stopping = true;
        pthread_cond_broadcast(&rcv.wake);
        pthread_mutex_unlock(&rcv.lock);
        MHD_stop_daemon(daemon);
        if (rcv.out && fclose(rcv.out) != 0) {
                fprintf(stderr, "sluice-receiver: %s: %s\n", rcv.opt.out_path, strerror(errno));
                return 1;
        }
        fprintf(stderr, "sluice-receiver: stopped after %" PRIu64 " pushes, %" PRIu64 " entries\n",
                rcv.pushes, rcv.entries);
        free(rcv.script.v);
        strset_release(&rcv.streams);
        for (size_t i = 0; i < MAX_USER_AGENTS; i++)
                free(rcv.agents[i]);
        pthread_cond_destroy(&rcv.wake);
        pthread_mutex_destroy(&rcv.lock);
        return 0;
}
