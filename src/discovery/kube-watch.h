/* kube-watch.h - a Kubernetes watch response: a stream of JSON lines, one
 * event each ({"type": ..., "object": ...}), read as it arrives (pure).
 *
 * The API server sends a watch's body chunk by chunk, and an event may be
 * cut anywhere: sl_kube_watch_feed() joins the pieces into lines (each at
 * most the reader's cap, so a hostile server cannot grow memory) and hands
 * out every complete one; sl_kube_event_parse() reads one line:
 *   ADDED, MODIFIED, DELETED   a pod object (pod-meta.h) and its
 *                              metadata.resourceVersion;
 *   BOOKMARK                   only a resourceVersion to resume from;
 *   ERROR                      a Status object: its code (410: the
 *                              resourceVersion is gone, list again).
 * A line that is not a JSON object, or of another type, is no event.
 *
 * Owns: the reader's line buffer; an event's strings and pod.
 * Calling sequence: sl_kube_watch_reader_init(), sl_kube_watch_feed() for
 * every piece of a body, sl_kube_watch_reader_reset() before the next
 * watch, sl_kube_watch_reader_release(); sl_kube_event_parse() then
 * sl_kube_event_release() for each line.
 */
#ifndef SL_DISCOVERY_KUBE_WATCH_H
#define SL_DISCOVERY_KUBE_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/str.h"
#include "discovery/pod-meta.h"

enum sl_kube_event_type {
        SL_KUBE_EVENT_NONE = 0,      /* not an event (or a type sluice does not know) */
        SL_KUBE_EVENT_ADDED,
        SL_KUBE_EVENT_MODIFIED,
        SL_KUBE_EVENT_DELETED,
        SL_KUBE_EVENT_BOOKMARK,
        SL_KUBE_EVENT_ERROR,
};

struct sl_kube_event {
        enum sl_kube_event_type type;
        char *resource_version;      /* owned; the object's metadata.resourceVersion, or NULL */
        long long code;              /* ERROR: the Status object's code, else 0 */
        bool has_pod;                /* ADDED, MODIFIED, DELETED: @pod was read */
        struct sl_pod pod;           /* when has_pod */
};

/* Reads one event line into @ret (zeroed by the caller). Returns 0 (an
 * event, maybe of type NONE: skip it), or -EBADMSG when the line is not a
 * JSON object. */
int sl_kube_event_parse(const char *text, size_t len, struct sl_kube_event *ret);
void sl_kube_event_release(struct sl_kube_event *ev);

struct sl_kube_watch_reader {
        struct sl_buf line;          /* the event being received */
};

/* @max_event: the longest line taken. */
void sl_kube_watch_reader_init(struct sl_kube_watch_reader *r, size_t max_event);
void sl_kube_watch_reader_release(struct sl_kube_watch_reader *r);
/* Forgets a partial line (a watch ended; the next one starts afresh). */
void sl_kube_watch_reader_reset(struct sl_kube_watch_reader *r);

/* Called with each complete line (without its '\n'; @text is borrowed
 * until return). Returns false to stop. */
typedef bool (*sl_kube_line_fn)(void *userdata, const char *text, size_t len);

/* Adds @piece of the body: @fn gets every line it completes, in order. A
 * partial line is kept for the next piece. Returns 1 to go on, 0 when @fn
 * said stop (the rest of @piece is dropped), -E2BIG when a line passes the
 * cap (the line is dropped). */
int sl_kube_watch_feed(struct sl_kube_watch_reader *r, struct sl_str piece, sl_kube_line_fn fn,
                       void *userdata);

#endif
