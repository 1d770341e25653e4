/* kube-watch.c - see kube-watch.h. */
#include "discovery/kube-watch.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

static const struct {
        const char *name;
        enum sl_kube_event_type type;
} event_types[] = {
        { "ADDED", SL_KUBE_EVENT_ADDED },       { "MODIFIED", SL_KUBE_EVENT_MODIFIED },
        { "DELETED", SL_KUBE_EVENT_DELETED },   { "BOOKMARK", SL_KUBE_EVENT_BOOKMARK },
        { "ERROR", SL_KUBE_EVENT_ERROR },
};

int sl_kube_event_parse(const char *text, size_t len, struct sl_kube_event *ret) {
        json_error_t e;
        json_t *ev = json_loadb(text, len, 0, &e), *obj, *code;
        const char *type, *rv;

        if (!ev || !json_is_object(ev)) {
                json_decref(ev);
                return -EBADMSG;
        }
        type = json_string_value(json_object_get(ev, "type"));
        obj = json_object_get(ev, "object");
        for (size_t i = 0; type && i < sizeof(event_types) / sizeof(event_types[0]); i++)
                if (strcmp(type, event_types[i].name) == 0)
                        ret->type = event_types[i].type;
        rv = json_string_value(json_object_get(json_object_get(obj, "metadata"),
                                               "resourceVersion"));
        if (rv && ret->type != SL_KUBE_EVENT_NONE)
                ret->resource_version = sl_xstrdup(rv);
        switch (ret->type) {
        case SL_KUBE_EVENT_ERROR:
                code = json_object_get(obj, "code");
                ret->code = json_is_integer(code) ? (long long)json_integer_value(code) : 0;
                break;
        case SL_KUBE_EVENT_ADDED:
        case SL_KUBE_EVENT_MODIFIED:
        case SL_KUBE_EVENT_DELETED:
                ret->has_pod = json_is_object(obj) && sl_pod_parse(obj, &ret->pod) == 0;
                if (!ret->has_pod)
                        sl_pod_release(&ret->pod);
                break;
        case SL_KUBE_EVENT_NONE:
        case SL_KUBE_EVENT_BOOKMARK:
                break;
        }
        json_decref(ev);
        return 0;
}

void sl_kube_event_release(struct sl_kube_event *ev) {
        free(ev->resource_version);
        if (ev->has_pod)
                sl_pod_release(&ev->pod);
        *ev = (struct sl_kube_event){ 0 };
}

void sl_kube_watch_reader_init(struct sl_kube_watch_reader *r, size_t max_event) {
        sl_buf_init(&r->line, max_event);
}

void sl_kube_watch_reader_release(struct sl_kube_watch_reader *r) {
        sl_buf_release(&r->line);
}

void sl_kube_watch_reader_reset(struct sl_kube_watch_reader *r) {
        sl_buf_reset(&r->line);
}

int sl_kube_watch_feed(struct sl_kube_watch_reader *r, struct sl_str piece, sl_kube_line_fn fn,
                       void *userdata) {
        while (piece.len > 0) {
                const char *nl = memchr(piece.ptr, '\n', piece.len);
                size_t n = nl ? (size_t)(nl - piece.ptr) : piece.len;
                bool go_on;

                if (sl_buf_append(&r->line, piece.ptr, n) < 0) {
                        sl_buf_reset(&r->line);
                        return -E2BIG;
                }
                if (!nl)
                        break;
                piece.ptr += n + 1;
                piece.len -= n + 1;
                go_on = fn(userdata, r->line.data ? r->line.data : "", r->line.len);
                sl_buf_reset(&r->line);
                if (!go_on)
                        return 0;
        }
        return 1;
}
