/* push-request.h - a push received over HTTP, decoded into entries.
 *
 * Three kinds of body are understood:
 *   SL_PUSH_LOKI  Loki's push API (POST /loki/api/v1/push): a PushRequest as
 *                 snappy-compressed protobuf (any Content-Type but JSON), or
 *                 as JSON (application/json: {"streams": [{"stream": {...},
 *                 "values": [["<ns>", "<line>", {metadata}], ...]}]});
 *                 Content-Encoding gzip or deflate (raw DEFLATE) around
 *                 either, as Loki 3.4 reads them (pkg/loghttp/push/push.go):
 *                 the Content-Type must be well-formed as Go's
 *                 mime.ParseMediaType reads it; stream labels are Prometheus
 *                 names; a metadata object holds string pairs (a number,
 *                 boolean, null or list kept as its JSON text) or an object
 *                 under "structuredMetadata" (pkg/loghttp/entry.go).
 *   SL_PUSH_RAW   Promtail's /promtail/api/v1/raw: one entry per line
 *                 (CR LF or LF), empty lines skipped, no labels of its own.
 *   SL_PUSH_OTLP  OTLP/HTTP logs (POST /v1/logs): ExportLogsServiceRequest as
 *                 protobuf (application/x-protobuf) or OTLP/JSON
 *                 (application/json; parameters allowed, where Loki wants
 *                 the bare type), optionally gzip; values nested more than
 *                 100 messages deep are refused (protobuf-c unpacks
 *                 recursively), in JSON more than 64. Mapped as Loki 3.4's
 *                 own OTLP ingestion maps it (pkg/loghttp/push/otlp.go):
 *                 the default index resource attributes (service.name,
 *                 k8s.pod.name, ...) become labels with Prometheus-normalized
 *                 names (service_name), service_name is "unknown_service"
 *                 when no label names a service; every other resource, scope
 *                 and log attribute, and trace_id, span_id (hex),
 *                 severity_number, severity_text, observed_timestamp, flags,
 *                 dropped_attributes_count, scope_name, scope_version, become
 *                 structured metadata; the body is the line (Go's rendering
 *                 of a non-string value: JSON for maps and lists). Each
 *                 entry also carries extracted values for the pipeline: its
 *                 structured metadata and "level" as Loki's distributor
 *                 finds it: a level field of the metadata (level, LEVEL,
 *                 Level, severity, ..., lvl, in Loki's order), else the
 *                 severity as it maps severity_number (up to 4 trace, 8 debug,
 *                 12 info, 16 warn, 20 error, 24 fatal, past that unknown);
 *                 without one, a severity_text Loki knows as a level (trc,
 *                 dbg, inf, wrn, warning, err, critical and the full names,
 *                 in any case); else no level.
 *
 * A request is decoded and checked whole before any entry is handed out: a
 * body that fails is refused whole (nothing of it was taken), and the
 * caller answers 400 or 413 with the reason.
 *
 * Owns: the decompressed body, the decoded message (protobuf-c or jansson)
 * and an arena holding the label pairs, metadata and strings built for the
 * entries. Every slice handed out borrows from the request.
 *
 * Calling sequence:
 *   sl_push_request_decode()   body in, request out (or a reason)
 *   sl_push_request_entries()  how many entries it holds
 *   sl_push_request_foreach()  hands each entry to a callback
 *   sl_push_request_free()     NULL is a no-op
 * Threading: any thread, one at a time per request.
 */
#ifndef SL_RECEIVE_PUSH_REQUEST_H
#define SL_RECEIVE_PUSH_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "core/entry.h"

enum sl_push_format {
        SL_PUSH_LOKI, /* Loki's push API, protobuf+snappy or JSON */
        SL_PUSH_RAW,  /* newline-delimited lines */
        SL_PUSH_OTLP, /* OTLP/HTTP logs, protobuf or JSON */
};

struct sl_push_limits {
        size_t max_body;    /* bytes of the body once decompressed; 0: no cap */
        size_t max_entries; /* entries in one request; 0: no cap */
};

/* Reasons are cut to this many bytes. */
#define SL_PUSH_REASON_MAX 256

struct sl_push_request;

/* Decodes @body (@len bytes, borrowed for the call) of @format as sent with
 * @content_type and @content_encoding (each NULL when absent). On success
 * *@ret is a new request owned by the caller. Errors, with a reason in
 * @reterr (SL_PUSH_REASON_MAX bytes, NUL-terminated):
 *   -EINVAL      a body that is not what it says (bad snappy, protobuf, JSON,
 *                labels, timestamp); a request with no entries is not an
 *                error (Loki accepts an empty push)
 *   -ENOTSUP     a Content-Type or Content-Encoding not understood (415)
 *   -EMSGSIZE    the decompressed body passes limits->max_body (413)
 *   -E2BIG       more entries than limits->max_entries (413) */
int sl_push_request_decode(enum sl_push_format format, const char *content_type,
                           const char *content_encoding, const void *body, size_t len,
                           const struct sl_push_limits *limits, struct sl_push_request **ret,
                           char *reterr);

/* Entries the request holds. */
size_t sl_push_request_entries(const struct sl_push_request *r);

/* Calls @fn for each entry in order, with @e reset (sl_entry_reset) and
 * filled: labels (the stream's, as pushed), metadata, ts_ns (the pushed
 * time; 0 for raw lines), line, and for OTLP extracted values. Every slice
 * borrows from the request (or @e's arena) until the request is freed. @fn
 * may change @e as it likes. */
void sl_push_request_foreach(struct sl_push_request *r, struct sl_entry *e,
                             void (*fn)(void *ud, struct sl_entry *e), void *ud);

void sl_push_request_free(struct sl_push_request *r);
SL_DEFINE_CLEANUP(struct sl_push_request *, sl_push_request_free)

/* Parses Loki's text of a label set, `{name="value", other="v"}` (as
 * PromQL's metric syntax: an optional metric name before the braces is
 * refused, strings in "..." or '...' or `...` with Go's escapes), into
 * @labels, names and values copied into @arena. Returns 0, or -EINVAL with
 * a reason in @reterr (SL_PUSH_REASON_MAX bytes). A repeated name is an
 * error, as in Loki. */
struct sl_arena;
struct sl_kvs;
int sl_push_parse_labels(const char *text, size_t len, struct sl_arena *arena,
                         struct sl_kvs *labels, char *reterr);

#endif
