/* push-client.c - sluice-push-client: pushes the entries of a JSON-lines file
 * to a Loki push URL in one request, as Promtail does (snappy-block protobuf),
 * or as Loki's JSON push body with --json. It exists to test the receiver
 * without the agent, and to poke a real Loki by hand.
 *
 *   sluice-push-client URL FILE.jsonl [--tenant T] [--json] [--user-agent UA]
 *
 * Each input line is an object shaped like the receiver's output:
 *   {"labels": {"job": "x"} | "stream": "{job=\"x\"}", "ts": "<unix ns>" | ns,
 *    "line": "...", "metadata": {"trace_id": "..."}}
 * "stream" is sent as written (so a test can send invalid label text);
 * otherwise "labels" is rendered the way Loki expects. Entries of one stream
 * keep their file order; streams are sent in order of first appearance.
 *
 * Prints the HTTP status on the first line of stdout, then the response
 * body. Exit status: 0 for a 2xx answer, 1 for any other, 2 when no answer
 * came (usage, input or transport error).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <snappy-c.h>

#include "push.pb-c.h"
#include "receiver-common.h"

/* One stream of the request being built. */
struct sl_rcv_out_stream {
        char *text;                     /* owned labels text */
        json_t *labels;                 /* new reference: labels object (JSON mode) */
        Logproto__EntryAdapter **entries; /* owned array of owned entries */
        size_t n_entries;               /* entries used */
        size_t cap;                     /* entries allocated */
};

struct sl_rcv_request_build {
        struct sl_rcv_out_stream *streams;     /* owned array */
        size_t n_streams;               /* streams used */
        json_t *docs;                   /* new reference: every input line, kept alive
                                         * because entries borrow their strings */
};

/* A response body, collected by curl. */
struct sl_rcv_body {
        char *p;        /* owned bytes */
        size_t len;     /* bytes used */
};

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata) {
        struct sl_rcv_body *b = userdata;
        size_t n = size * nmemb;

        b->p = sl_rcv_xrealloc(b->p, b->len + n + 1);
        memcpy(b->p + b->len, data, n);
        b->len += n;
        b->p[b->len] = '\0';
        return n;
}

/* Finds or adds the stream for @text (taking ownership of @text). */
static struct sl_rcv_out_stream *stream_for(struct sl_rcv_request_build *rb, char *text) {
        for (size_t i = 0; i < rb->n_streams; i++) {
                if (strcmp(rb->streams[i].text, text) == 0) {
                        free(text);
                        return &rb->streams[i];
                }
        }
        rb->streams = sl_rcv_xrealloc(rb->streams, (rb->n_streams + 1) * sizeof(*rb->streams));
        rb->streams[rb->n_streams] = (struct sl_rcv_out_stream) { .text = text };
        return &rb->streams[rb->n_streams++];
}

/* Reads the timestamp field: a decimal string or an integer (ns). */
static int entry_ts(const json_t *v, int64_t *ret) {
        long long ns;
        char *end;

        if (json_is_integer(v)) {
                *ret = json_integer_value(v);
                return 0;
        }
        if (!json_is_string(v))
                return -EINVAL;
        errno = 0;
        ns = strtoll(json_string_value(v), &end, 10);
        if (errno || *end || end == json_string_value(v))
                return -EINVAL;
        *ret = ns;
        return 0;
}

static void binary_of(ProtobufCBinaryData *b, const json_t *s) {
        b->data = (uint8_t *) json_string_value(s);
        b->len = json_string_length(s);
}

/* Adds the entry described by input object @doc (line @lineno). */
static int add_entry(struct sl_rcv_request_build *rb, json_t *doc, size_t lineno) {
        json_t *labels = json_object_get(doc, "labels");
        json_t *stream = json_object_get(doc, "stream");
        json_t *line = json_object_get(doc, "line");
        json_t *md = json_object_get(doc, "metadata");
        Logproto__EntryAdapter *e;
        struct sl_rcv_out_stream *s;
        char *text;
        int64_t ns;

        if (!json_is_string(line) || entry_ts(json_object_get(doc, "ts"), &ns) < 0 ||
            (md && !json_is_object(md)) || (!json_is_string(stream) && !json_is_object(labels))) {
                fprintf(stderr, "sluice-push-client: line %zu: needs \"line\", \"ts\" and "
                        "\"labels\" or \"stream\"\n", lineno);
                return -EINVAL;
        }
        if (json_is_string(stream)) {
                text = sl_rcv_xmemdup(json_string_value(stream), json_string_length(stream));
        } else {
                struct sl_rcv_labels set = {0};
                const char *name;
                json_t *v;

                json_object_foreach(labels, name, v) {
                        if (!json_is_string(v)) {
                                fprintf(stderr, "sluice-push-client: line %zu: label %s is not a string\n",
                                        lineno, name);
                                sl_rcv_labels_release(&set);
                                return -EINVAL;
                        }
                        sl_rcv_labels_add(&set, name, strlen(name), json_string_value(v),
                                          json_string_length(v));
                }
                text = sl_rcv_labels_render(&set);
                sl_rcv_labels_release(&set);
        }
        s = stream_for(rb, text);
        if (!s->labels && json_is_object(labels))
                s->labels = json_incref(labels);

        e = sl_rcv_xmalloc(sizeof(*e));
        logproto__entry_adapter__init(e);
        e->timestamp = sl_rcv_xmalloc(sizeof(*e->timestamp));
        logproto__timestamp__init(e->timestamp);
        /* Floor division, so nanos stays in [0, 1e9) for times before 1970. */
        e->timestamp->seconds = ns / 1000000000;
        e->timestamp->nanos = (int32_t) (ns % 1000000000);
        if (e->timestamp->nanos < 0) {
                e->timestamp->seconds--;
                e->timestamp->nanos += 1000000000;
        }
        binary_of(&e->line, line);
        if (md && json_object_size(md)) {
                const char *name;
                json_t *v;
                size_t m = 0;

                e->structuredmetadata = sl_rcv_xmalloc(json_object_size(md) * sizeof(*e->structuredmetadata));
                json_object_foreach(md, name, v) {
                        Logproto__LabelPairAdapter *lp = sl_rcv_xmalloc(sizeof(*lp));

                        logproto__label_pair_adapter__init(lp);
                        lp->name.data = (uint8_t *) name;
                        lp->name.len = strlen(name);
                        if (json_is_string(v))
                                binary_of(&lp->value, v);
                        e->structuredmetadata[m++] = lp;
                }
                e->n_structuredmetadata = m;
        }
        if (s->n_entries == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 16;
                s->entries = sl_rcv_xrealloc(s->entries, s->cap * sizeof(*s->entries));
        }
        s->entries[s->n_entries++] = e;
        return 0;
}

static void request_build_release(struct sl_rcv_request_build *rb) {
        for (size_t i = 0; i < rb->n_streams; i++) {
                struct sl_rcv_out_stream *s = &rb->streams[i];

                for (size_t k = 0; k < s->n_entries; k++) {
                        for (size_t m = 0; m < s->entries[k]->n_structuredmetadata; m++)
                                free(s->entries[k]->structuredmetadata[m]);
                        free(s->entries[k]->structuredmetadata);
                        free(s->entries[k]->timestamp);
                        free(s->entries[k]);
                }
                free(s->entries);
                free(s->text);
                json_decref(s->labels);
        }
        free(rb->streams);
        json_decref(rb->docs);
}

static int read_input(const char *path, struct sl_rcv_request_build *rb) {
        _cleanup_free_ char *buf = NULL;
        size_t cap = 0, lineno = 0;
        ssize_t n;
        FILE *f = fopen(path, "r");

        if (!f) {
                fprintf(stderr, "sluice-push-client: %s: %s\n", path, strerror(errno));
                return -errno;
        }
        rb->docs = json_array();
        while ((n = getline(&buf, &cap, f)) >= 0) {
                json_error_t jerr;
                json_t *doc;

                lineno++;
                if (strspn(buf, " \t\r\n") == (size_t) n)
                        continue;
                doc = json_loadb(buf, (size_t) n, JSON_ALLOW_NUL, &jerr);
                if (!doc) {
                        fprintf(stderr, "sluice-push-client: %s:%zu: %s\n", path, lineno, jerr.text);
                        fclose(f);
                        return -EINVAL;
                }
                json_array_append_new(rb->docs, doc);
                if (add_entry(rb, doc, lineno) < 0) {
                        fclose(f);
                        return -EINVAL;
                }
        }
        fclose(f);
        return 0;
}

/* Serializes @rb as a snappy-compressed PushRequest. Returns a new buffer. */
static char *encode_protobuf(const struct sl_rcv_request_build *rb, size_t *ret_len) {
        Logproto__PushRequest req = LOGPROTO__PUSH_REQUEST__INIT;
        _cleanup_free_ Logproto__StreamAdapter *sas = NULL;
        _cleanup_free_ Logproto__StreamAdapter **ptrs = NULL;
        _cleanup_free_ uint8_t *raw = NULL;
        size_t raw_len, out_len;
        char *out;

        sas = sl_rcv_xmalloc((rb->n_streams + 1) * sizeof(*sas));
        ptrs = sl_rcv_xmalloc((rb->n_streams + 1) * sizeof(*ptrs));
        for (size_t i = 0; i < rb->n_streams; i++) {
                logproto__stream_adapter__init(&sas[i]);
                sas[i].labels = rb->streams[i].text;
                sas[i].n_entries = rb->streams[i].n_entries;
                sas[i].entries = rb->streams[i].entries;
                ptrs[i] = &sas[i];
        }
        req.n_streams = rb->n_streams;
        req.streams = ptrs;
        raw_len = logproto__push_request__get_packed_size(&req);
        raw = sl_rcv_xmalloc(raw_len);
        logproto__push_request__pack(&req, raw);
        out_len = snappy_max_compressed_length(raw_len);
        out = sl_rcv_xmalloc(out_len);
        if (snappy_compress((const char *) raw, raw_len, out, &out_len) != SNAPPY_OK)
                abort();
        *ret_len = out_len;
        return out;
}

/* Serializes @rb as Loki's JSON push body. Returns a new string, or NULL if
 * a stream's label text was given as a string that does not parse. */
static char *encode_json(const struct sl_rcv_request_build *rb, size_t *ret_len) {
        json_t *root = json_object(), *streams = json_array();
        char *text;

        json_object_set_new(root, "streams", streams);
        for (size_t i = 0; i < rb->n_streams; i++) {
                const struct sl_rcv_out_stream *s = &rb->streams[i];
                json_t *js = json_object(), *values = json_array(), *labels = s->labels;
                char err[256];

                if (!labels) {
                        struct sl_rcv_labels set = {0};

                        if (sl_rcv_labels_parse(s->text, strlen(s->text), &set, err, sizeof(err)) < 0) {
                                fprintf(stderr, "sluice-push-client: --json needs label objects: %s\n", err);
                                json_decref(js);
                                json_decref(values);
                                json_decref(root);
                                return NULL;
                        }
                        labels = json_object();
                        for (size_t k = 0; k < set.n; k++)
                                json_object_set_new(labels, set.v[k].name,
                                                    json_stringn(set.v[k].value, set.v[k].value_len));
                        sl_rcv_labels_release(&set);
                        json_object_set_new(js, "stream", labels);
                } else {
                        json_object_set(js, "stream", labels);
                }
                for (size_t k = 0; k < s->n_entries; k++) {
                        const Logproto__EntryAdapter *e = s->entries[k];
                        json_t *v = json_array(), *md = json_object();
                        char ts[32];

                        snprintf(ts, sizeof(ts), "%" PRId64,
                                 e->timestamp->seconds * 1000000000 + e->timestamp->nanos);
                        json_array_append_new(v, json_string(ts));
                        json_array_append_new(v, json_stringn((const char *) e->line.data, e->line.len));
                        for (size_t m = 0; m < e->n_structuredmetadata; m++)
                                json_object_set_new(md, (const char *) e->structuredmetadata[m]->name.data,
                                                    json_stringn((const char *) e->structuredmetadata[m]->value.data,
                                                                 e->structuredmetadata[m]->value.len));
                        if (json_object_size(md))
                                json_array_append_new(v, md);
                        else
                                json_decref(md);
                        json_array_append_new(values, v);
                }
                json_object_set_new(js, "values", values);
                json_array_append_new(streams, js);
        }
        text = json_dumps(root, JSON_COMPACT);
        json_decref(root);
        if (!text)
                abort();
        *ret_len = strlen(text);
        return text;
}

static void usage(FILE *f) {
        fprintf(f, "usage: sluice-push-client URL FILE.jsonl [--tenant T] [--json] [--user-agent UA]\n");
}

int main(int argc, char **argv) {
        struct sl_rcv_request_build rb = {0};
        struct curl_slist *headers = NULL;
        const char *url = NULL, *path = NULL, *tenant = NULL, *agent = "sluice-push-client/1";
        _cleanup_free_ char *tenant_header = NULL, *agent_header = NULL;
        _cleanup_free_ char *payload = NULL;
        struct sl_rcv_body resp = {0};
        bool json = false;
        size_t payload_len = 0;
        long status = 0;
        CURLcode cr;
        CURL *curl;
        int ret = 2;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc) {
                        tenant = argv[++i];
                } else if (strcmp(argv[i], "--user-agent") == 0 && i + 1 < argc) {
                        agent = argv[++i];
                } else if (strcmp(argv[i], "--json") == 0) {
                        json = true;
                } else if (strcmp(argv[i], "--help") == 0) {
                        usage(stdout);
                        return 0;
                } else if (argv[i][0] == '-' && argv[i][1] == '-') {
                        usage(stderr);
                        return 2;
                } else if (!url) {
                        url = argv[i];
                } else if (!path) {
                        path = argv[i];
                } else {
                        usage(stderr);
                        return 2;
                }
        }
        if (!url || !path) {
                usage(stderr);
                return 2;
        }
        if (read_input(path, &rb) < 0)
                goto out_release;
        payload = json ? encode_json(&rb, &payload_len) : encode_protobuf(&rb, &payload_len);
        if (!payload)
                goto out_release;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl = curl_easy_init();
        if (!curl)
                abort();
        headers = curl_slist_append(headers, json ? "Content-Type: application/json"
                                                  : "Content-Type: application/x-protobuf");
        if (asprintf(&agent_header, "User-Agent: %s", agent) < 0)
                abort();
        headers = curl_slist_append(headers, agent_header);
        if (tenant) {
                if (asprintf(&tenant_header, "X-Scope-OrgID: %s", tenant) < 0)
                        abort();
                headers = curl_slist_append(headers, tenant_header);
        }
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) payload_len);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        cr = curl_easy_perform(curl);
        if (cr != CURLE_OK) {
                fprintf(stderr, "sluice-push-client: %s: %s\n", url, curl_easy_strerror(cr));
        } else {
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
                printf("%ld\n", status);
                if (resp.len)
                        fwrite(resp.p, 1, resp.len, stdout);
                fflush(stdout);
                ret = status >= 200 && status < 300 ? 0 : 1;
        }
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        curl_global_cleanup();
        free(resp.p);
out_release:
        request_build_release(&rb);
        return ret;
}
