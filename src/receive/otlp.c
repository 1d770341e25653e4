/* otlp.c - OTLP/HTTP logs bodies (protobuf and OTLP/JSON) into entries,
 * mapped as Loki 3.4's OTLP ingestion maps them (see push-request.h).
 *
 * An OTLP/JSON body is first turned into the same protobuf-c structures a
 * protobuf body unpacks to (allocated in the request's arena), so that one
 * mapping serves both. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/xalloc.h"
#include "receive/otlp-logs.pb-c.h"
#include "receive/request-impl.h"

typedef Sluice__Otlp__AnyValue AnyValue;
typedef Sluice__Otlp__KeyValue KeyValue;
typedef Sluice__Otlp__LogRecord LogRecord;
typedef Sluice__Otlp__ScopeLogs ScopeLogs;
typedef Sluice__Otlp__ResourceLogs ResourceLogs;
typedef Sluice__Otlp__ExportLogsServiceRequest ExportRequest;

/* Loki's distributor.otlp.default_resource_attributes_as_index_labels. */
static const char *const index_attributes[] = {
        "service.name",        "service.namespace",   "service.instance.id",
        "deployment.environment", "deployment.environment.name", "cloud.region",
        "cloud.availability_zone", "k8s.cluster.name", "k8s.namespace.name",
        "k8s.pod.name",        "k8s.container.name",  "container.name",
        "k8s.replicaset.name", "k8s.deployment.name", "k8s.statefulset.name",
        "k8s.daemonset.name",  "k8s.cronjob.name",    "k8s.job.name",
        NULL,
};

/* Loki's validation.discover-service-name default. */
static const char *const service_name_sources[] = {
        "service", "app", "application", "app_name", "name", "app_kubernetes_io_name",
        "container", "container_name", "k8s_container_name", "component", "workload", "job",
        "k8s_job_name", NULL,
};

static const char *const severity_names[] = {
        "UNSPECIFIED", "TRACE", "TRACE2", "TRACE3", "TRACE4", "DEBUG", "DEBUG2", "DEBUG3",
        "DEBUG4", "INFO", "INFO2", "INFO3", "INFO4", "WARN", "WARN2", "WARN3", "WARN4",
        "ERROR", "ERROR2", "ERROR3", "ERROR4", "FATAL", "FATAL2", "FATAL3", "FATAL4",
};

static bool in_list(const char *const *list, struct sl_str s) {
        for (size_t i = 0; list[i]; i++)
                if (sl_str_eq_c(s, list[i]))
                        return true;
        return false;
}

static struct sl_str bin(ProtobufCBinaryData b) {
        return sl_str_from((const char *)b.data, b.len);
}

/* ---- Go's renderings -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at @p (at most @n bytes), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t n) {
        uint32_t cp;
        size_t len;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xC2 && p[0] <= 0xDF)
                len = 2, cp = p[0] & 0x1F;
        else if (p[0] >= 0xE0 && p[0] <= 0xEF)
                len = 3, cp = p[0] & 0x0F;
        else if (p[0] >= 0xF0 && p[0] <= 0xF4)
                len = 4, cp = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                return 0;
        return len;
}

/* @s as Go's encoding/json writes a string. */
static void go_json_string(struct sl_buf *b, struct sl_str s) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *)s.ptr;
        size_t i = 0;

        sl_buf_putc(b, '"');
        while (i < s.len) {
                unsigned char c = p[i];
                size_t n;

                if (c == '"' || c == '\\') {
                        sl_buf_putc(b, '\\');
                        sl_buf_putc(b, (char)c);
                        i++;
                } else if (c == '\n' || c == '\r' || c == '\t') {
                        sl_buf_putc(b, '\\');
                        sl_buf_putc(b, c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
                        i++;
                } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                        sl_buf_printf(b, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                        i++;
                } else if (c < 0x80) {
                        sl_buf_putc(b, (char)c);
                        i++;
                } else if ((n = utf8_len(p + i, s.len - i)) == 0) {
                        sl_buf_printf(b, "\\ufffd");
                        i++;
                } else if (n == 3 && p[i] == 0xE2 && p[i + 1] == 0x80 &&
                           (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
                        sl_buf_printf(b, "\\u202%c", p[i + 2] == 0xA8 ? '8' : '9');
                        i += 3;
                } else {
                        sl_buf_append(b, p + i, n);
                        i += n;
                }
        }
        sl_buf_putc(b, '"');
}

static void base64(struct sl_buf *b, ProtobufCBinaryData d) {
        static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t i;

        for (i = 0; i + 2 < d.len; i += 3) {
                uint32_t v = (uint32_t)d.data[i] << 16 | (uint32_t)d.data[i + 1] << 8 | d.data[i + 2];
                char o[4] = { t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63] };
                sl_buf_append(b, o, 4);
        }
        if (d.len - i == 1) {
                uint32_t v = (uint32_t)d.data[i] << 16;
                char o[4] = { t[v >> 18], t[(v >> 12) & 63], '=', '=' };
                sl_buf_append(b, o, 4);
        } else if (d.len - i == 2) {
                uint32_t v = (uint32_t)d.data[i] << 16 | (uint32_t)d.data[i + 1] << 8;
                char o[4] = { t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '=' };
                sl_buf_append(b, o, 4);
        }
}

/* A finite double as Go's encoding/json writes it (ES6 style): shortest
 * digits, plain decimal unless below 1e-6 or from 1e21 on. */
static void json_float(struct sl_buf *b, double d) {
        char sci[40], digits[24];
        double a = fabs(d);
        int exp, nd = 0;
        char *e;

        for (int prec = 0; prec < 17; prec++) {
                snprintf(sci, sizeof(sci), "%.*e", prec, d);
                if (strtod(sci, NULL) == d)
                        break;
        }
        /* sci: [-]d[.ddd]e[+-]xx */
        e = strchr(sci, 'e');
        exp = atoi(e + 1);
        for (char *p = sci; p < e; p++)
                if (*p >= '0' && *p <= '9')
                        digits[nd++] = *p;
        while (nd > 1 && digits[nd - 1] == '0')
                nd--;
        digits[nd] = '\0';
        if (d < 0 || (d == 0 && signbit(d)))
                sl_buf_putc(b, '-');
        if (a != 0 && (a < 1e-6 || a >= 1e21)) {
                sl_buf_putc(b, digits[0]);
                if (nd > 1)
                        sl_buf_printf(b, ".%s", digits + 1);
                /* Go writes e-07 and JSON's rendering drops the 0: e-7. */
                sl_buf_printf(b, "e%c%d", exp < 0 ? '-' : '+', abs(exp));
                return;
        }
        if (exp < 0) {
                sl_buf_printf(b, "0.");
                for (int i = -1; i > exp; i--)
                        sl_buf_putc(b, '0');
                sl_buf_append(b, digits, (size_t)nd);
        } else if (exp + 1 >= nd) {
                sl_buf_append(b, digits, (size_t)nd);
                for (int i = nd; i <= exp; i++)
                        sl_buf_putc(b, '0');
        } else {
                sl_buf_append(b, digits, (size_t)exp + 1);
                sl_buf_putc(b, '.');
                sl_buf_append(b, digits + exp + 1, (size_t)(nd - exp - 1));
        }
}

struct keyed {
        const KeyValue *kv;
        size_t index; /* position in the list: the last of a key wins */
};

static int keyed_cmp(const void *a, const void *b) {
        const struct keyed *x = a, *y = b;
        size_t n = SL_MIN(x->kv->key.len, y->kv->key.len);
        int c = n ? memcmp(x->kv->key.data, y->kv->key.data, n) : 0;

        if (c)
                return c;
        if (x->kv->key.len != y->kv->key.len)
                return x->kv->key.len < y->kv->key.len ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

static bool same_key(const KeyValue *a, const KeyValue *b) {
        return a->key.len == b->key.len && (!a->key.len || !memcmp(a->key.data, b->key.data, a->key.len));
}

static int render_json(struct sl_buf *b, const AnyValue *v, int depth);

/* A key/value list as Go's json.Marshal writes a map: keys sorted, the last
 * of a repeated key kept (the map pcommon's AsRaw builds). */
static int render_kvlist(struct sl_buf *b, KeyValue **kvs, size_t n, int depth) {
        struct keyed *sorted = sl_xcalloc(n ? n : 1, sizeof(*sorted));
        bool first = true;
        int r = 0;

        for (size_t i = 0; i < n; i++)
                sorted[i] = (struct keyed){ kvs[i], i };
        qsort(sorted, n, sizeof(*sorted), keyed_cmp);
        sl_buf_putc(b, '{');
        for (size_t i = 0; i < n && r == 0; i++) {
                const KeyValue *kv = sorted[i].kv;
                if (i + 1 < n && same_key(kv, sorted[i + 1].kv))
                        continue;
                if (!first)
                        sl_buf_putc(b, ',');
                first = false;
                go_json_string(b, bin(kv->key));
                sl_buf_putc(b, ':');
                r = render_json(b, kv->value, depth + 1);
        }
        sl_buf_putc(b, '}');
        free(sorted);
        return r;
}

/* @v as a JSON value; -EINVAL for a NaN or infinity (json.Marshal fails). */
static int render_json(struct sl_buf *b, const AnyValue *v, int depth) {
        int r = 0;

        if (depth > 64)
                return -EINVAL;
        if (!v) {
                sl_buf_printf(b, "null");
                return 0;
        }
        switch (v->value_case) {
        case SLUICE__OTLP__ANY_VALUE__VALUE_STRING_VALUE:
                go_json_string(b, bin(v->string_value));
                break;
        case SLUICE__OTLP__ANY_VALUE__VALUE_BOOL_VALUE:
                sl_buf_printf(b, v->bool_value ? "true" : "false");
                break;
        case SLUICE__OTLP__ANY_VALUE__VALUE_INT_VALUE:
                sl_buf_printf(b, "%lld", (long long)v->int_value);
                break;
        case SLUICE__OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE:
                if (!isfinite(v->double_value))
                        return -EINVAL;
                json_float(b, v->double_value);
                break;
        case SLUICE__OTLP__ANY_VALUE__VALUE_BYTES_VALUE:
                sl_buf_putc(b, '"');
                base64(b, v->bytes_value);
                sl_buf_putc(b, '"');
                break;
        case SLUICE__OTLP__ANY_VALUE__VALUE_ARRAY_VALUE:
                sl_buf_putc(b, '[');
                for (size_t i = 0; v->array_value && i < v->array_value->n_values && r == 0; i++) {
                        if (i)
                                sl_buf_putc(b, ',');
                        r = render_json(b, v->array_value->values[i], depth + 1);
                }
                sl_buf_putc(b, ']');
                break;
        case SLUICE__OTLP__ANY_VALUE__VALUE_KVLIST_VALUE:
                r = render_kvlist(b, v->kvlist_value ? v->kvlist_value->values : NULL,
                                  v->kvlist_value ? v->kvlist_value->n_values : 0, depth);
                break;
        default:
                sl_buf_printf(b, "null");
                break;
        }
        return r;
}

/* pcommon's Value.AsString(): strings as they are, numbers and booleans as
 * Go formats them, bytes in base64, maps and lists as JSON. Into @arena. */
static struct sl_str as_string(const AnyValue *v, struct sl_buf *scratch, struct sl_arena *arena) {
        if (!v)
                return sl_str_c("");
        sl_buf_reset(scratch);
        switch (v->value_case) {
        case SLUICE__OTLP__ANY_VALUE__VALUE_STRING_VALUE:
                return bin(v->string_value);
        case SLUICE__OTLP__ANY_VALUE__VALUE_BOOL_VALUE:
                return sl_str_c(v->bool_value ? "true" : "false");
        case SLUICE__OTLP__ANY_VALUE__VALUE_INT_VALUE:
                sl_buf_printf(scratch, "%lld", (long long)v->int_value);
                break;
        case SLUICE__OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE:
                if (isnan(v->double_value))
                        sl_buf_printf(scratch, "json: unsupported value: NaN");
                else if (isinf(v->double_value))
                        sl_buf_printf(scratch, "json: unsupported value: %cInf",
                                      v->double_value < 0 ? '-' : '+');
                else
                        json_float(scratch, v->double_value);
                break;
        case SLUICE__OTLP__ANY_VALUE__VALUE_BYTES_VALUE:
                base64(scratch, v->bytes_value);
                break;
        case SLUICE__OTLP__ANY_VALUE__VALUE_ARRAY_VALUE:
        case SLUICE__OTLP__ANY_VALUE__VALUE_KVLIST_VALUE:
                if (render_json(scratch, v, 0) < 0)
                        sl_buf_reset(scratch); /* Go's Marshal failed: "" */
                break;
        default:
                return sl_str_c(""); /* an empty value */
        }
        return sl_arena_strdup(arena, sl_buf_str(scratch));
}

/* Prometheus' NormalizeLabel, as the OTLP translator Loki uses: every rune
 * but letters and digits becomes _, a leading digit gets "key_", a single
 * leading _ gets "key". Non-ASCII runes are kept as letters. */
static struct sl_str normalize(struct sl_str prefix, struct sl_str key, struct sl_buf *scratch,
                               struct sl_arena *arena) {
        const unsigned char *p;
        size_t start, n, i = 0;

        sl_buf_reset(scratch);
        if (prefix.len) {
                sl_buf_append_str(scratch, prefix);
                sl_buf_putc(scratch, '_');
        }
        start = scratch->len;
        sl_buf_append_str(scratch, key);
        p = (const unsigned char *)scratch->data;
        n = scratch->len;
        /* Rewrite in place; a rune never grows. */
        {
                size_t w = 0;
                i = 0;
                while (i < n) {
                        size_t l = p[i] < 0x80 ? 1 : utf8_len(p + i, n - i);
                        unsigned char c = p[i];
                        if (l == 1 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                       (c >= '0' && c <= '9'))) {
                                scratch->data[w++] = (char)c;
                                i++;
                        } else if (l <= 1) {
                                scratch->data[w++] = '_';
                                i++;
                        } else {
                                memmove(scratch->data + w, p + i, l);
                                w += l;
                                i += l;
                        }
                }
                scratch->len = w;
        }
        (void)start;
        if (scratch->len == 0)
                return sl_str_c(""); /* an empty key: an empty name, as in Loki */
        if (scratch->data[0] >= '0' && scratch->data[0] <= '9') {
                struct sl_buf tmp;
                struct sl_str out;
                sl_buf_init(&tmp, scratch->len + 8);
                sl_buf_printf(&tmp, "key_");
                sl_buf_append(&tmp, scratch->data, scratch->len);
                out = sl_arena_strdup(arena, sl_buf_str(&tmp));
                sl_buf_release(&tmp);
                return out;
        }
        if (scratch->data[0] == '_' && !(scratch->len > 1 && scratch->data[1] == '_')) {
                struct sl_buf tmp;
                struct sl_str out;
                sl_buf_init(&tmp, scratch->len + 8);
                sl_buf_printf(&tmp, "key");
                sl_buf_append(&tmp, scratch->data, scratch->len);
                out = sl_arena_strdup(arena, sl_buf_str(&tmp));
                sl_buf_release(&tmp);
                return out;
        }
        return sl_arena_strdup(arena, sl_buf_str(scratch));
}

struct mapper {
        struct sl_push_request *req;
        struct sl_buf scratch;  /* renderings */
        struct sl_buf name;     /* label names being normalized */
};

/* Loki's attributeToLabels: a map value is flattened into one pair per
 * leaf, named parent_child; anything else is one pair, its AsString(). */
static void add_attribute(struct mapper *m, struct sl_str prefix, const KeyValue *kv, int depth) {
        struct sl_arena *arena = &m->req->arena;
        struct sl_str name = normalize(prefix, bin(kv->key), &m->name, arena);
        const AnyValue *v = kv->value;

        if (v && v->value_case == SLUICE__OTLP__ANY_VALUE__VALUE_KVLIST_VALUE) {
                if (depth > 32 || !v->kvlist_value)
                        return;
                for (size_t i = 0; i < v->kvlist_value->n_values; i++)
                        add_attribute(m, name, v->kvlist_value->values[i], depth + 1);
                return;
        }
        sl_push_add_kv(m->req, name, as_string(v, &m->scratch, arena));
}

static struct sl_str hex(ProtobufCBinaryData d, struct sl_arena *arena) {
        static const char digits[] = "0123456789abcdef";
        char *s = sl_arena_alloc(arena, d.len * 2 + 1);

        for (size_t i = 0; i < d.len; i++) {
                s[2 * i] = digits[d.data[i] >> 4];
                s[2 * i + 1] = digits[d.data[i] & 15];
        }
        s[d.len * 2] = '\0';
        return sl_str_from(s, d.len * 2);
}

static bool all_zero(ProtobufCBinaryData d) {
        for (size_t i = 0; i < d.len; i++)
                if (d.data[i])
                        return false;
        return true;
}

static void add_number(struct mapper *m, const char *name, unsigned long long v) {
        char tmp[24];
        int n = snprintf(tmp, sizeof(tmp), "%llu", v);
        sl_push_add_kv(m->req, sl_str_c(name), sl_arena_strdup(&m->req->arena, sl_str_from(tmp, (size_t)n)));
}

static void add_signed(struct mapper *m, const char *name, long long v) {
        char tmp[24];
        int n = snprintf(tmp, sizeof(tmp), "%lld", v);
        sl_push_add_kv(m->req, sl_str_c(name), sl_arena_strdup(&m->req->arena, sl_str_from(tmp, (size_t)n)));
}

/* Loki's level from an OTLP severity number (its distributor's level
 * detection: anything up to TRACE4 is trace, past FATAL4 unknown); NULL
 * for none (0, unspecified, is not kept). */
static const char *severity_level(int32_t n) {
        if (n == 0)
                return NULL;
        if (n <= 4)
                return "trace";
        if (n <= 8)
                return "debug";
        if (n <= 12)
                return "info";
        if (n <= 16)
                return "warn";
        if (n <= 20)
                return "error";
        if (n <= 24)
                return "fatal";
        return "unknown";
}

/* Loki's level for a level's name, as its distributor reads a level
 * field (case-insensitive: trace/trc, debug/dbg, info/inf,
 * warn/wrn/warning, error/err, critical, fatal); NULL for anything else. */
static const char *severity_text_level(struct sl_str t) {
        static const struct {
                const char *name, *level;
        } names[] = {
                { "trace", "trace" }, { "trc", "trace" },  { "debug", "debug" },
                { "dbg", "debug" },   { "info", "info" },  { "inf", "info" },
                { "warn", "warn" },   { "wrn", "warn" },   { "warning", "warn" },
                { "error", "error" }, { "err", "error" },  { "critical", "critical" },
                { "fatal", "fatal" },
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(names); i++)
                if (t.len == strlen(names[i].name) && strncasecmp(t.ptr, names[i].name, t.len) == 0)
                        return names[i].level;
        return NULL;
}

/* The first of Loki's level fields (validation.log_level_fields' default,
 * in its order) among the pairs of @run, or NULL. An attribute given twice
 * counts by its last value, as the entry's metadata keeps it. */
static const struct sl_kv *metadata_level(const struct sl_push_request *req, struct kv_run run) {
        static const char *const fields[] = { "level", "LEVEL", "Level", "severity", "SEVERITY",
                                              "Severity", "lvl", "LVL", "Lvl" };
        const struct sl_kv *found = NULL;

        for (size_t f = 0; f < SL_ARRAY_SIZE(fields) && !found; f++)
                for (uint32_t i = 0; i < run.n; i++)
                        if (sl_str_eq_c(req->kvs[run.first + i].name, fields[f]))
                                found = &req->kvs[run.first + i];
        return found;
}

static bool labels_valid(const struct sl_push_request *req, struct kv_run run) {
        for (uint32_t i = 0; i < run.n; i++) {
                const struct sl_kv *kv = &req->kvs[run.first + i];
                const unsigned char *v = (const unsigned char *)kv->value.ptr;
                if (!kv->name.len)
                        return false;
                for (size_t j = 0; j < kv->name.len; j++) {
                        char c = kv->name.ptr[j];
                        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                              (j > 0 && c >= '0' && c <= '9')))
                                return false;
                }
                for (size_t j = 0; j < kv->value.len;) {
                        size_t l = utf8_len(v + j, kv->value.len - j);
                        if (!l)
                                return false;
                        j += l;
                }
        }
        return true;
}

static int map_request(struct mapper *m, const ExportRequest *x, char *reterr) {
        struct sl_push_request *req = m->req;

        for (size_t i = 0; i < x->n_resource_logs; i++) {
                const ResourceLogs *rl = x->resource_logs[i];
                const Sluice__Otlp__Resource *res = rl->resource;
                struct kv_run resource_md, labels;
                bool has_service = false;
                uint32_t stream;

                /* Stream labels: the index attributes, the last of a name winning. */
                stream = sl_push_begin_stream(req);
                for (size_t k = 0; res && k < res->n_attributes; k++) {
                        const KeyValue *kv = res->attributes[k];
                        if (!in_list(index_attributes, bin(kv->key)))
                                continue;
                        if (sl_str_eq_c(bin(kv->key), "service.name") &&
                            as_string(kv->value, &m->scratch, &req->arena).len)
                                has_service = true;
                }
                {
                        struct sl_kvs set;
                        struct sl_str found = SL_STR_NULL;
                        size_t first = req->n_kvs;

                        sl_kvs_init(&set);
                        for (size_t k = 0; res && k < res->n_attributes; k++) {
                                const KeyValue *kv = res->attributes[k];
                                size_t before = req->n_kvs;
                                if (!in_list(index_attributes, bin(kv->key)))
                                        continue;
                                add_attribute(m, SL_STR_NULL, kv, 0);
                                for (size_t j = before; j < req->n_kvs; j++) {
                                        sl_kvs_set(&set, req->kvs[j].name, req->kvs[j].value);
                                        if (!has_service && !found.ptr &&
                                            in_list(service_name_sources, req->kvs[j].name))
                                                found = req->kvs[j].value.ptr ? req->kvs[j].value
                                                                              : sl_str_c("");
                                }
                        }
                        if (!has_service)
                                sl_kvs_set(&set, sl_str_c("service_name"),
                                           found.ptr ? found : sl_str_c("unknown_service"));
                        req->n_kvs = first;
                        for (size_t j = 0; j < set.len; j++)
                                sl_push_add_kv(req, set.items[j].name, set.items[j].value);
                        sl_kvs_release(&set);
                }
                sl_push_end_stream(req);
                labels = req->streams[stream];
                if (!labels_valid(req, labels)) {
                        /* Loki skips a resource whose labels are invalid. */
                        req->n_kvs = labels.first;
                        req->n_streams--;
                        continue;
                }

                /* The other resource attributes: structured metadata. */
                resource_md.first = (uint32_t)req->n_kvs;
                for (size_t k = 0; res && k < res->n_attributes; k++)
                        if (!in_list(index_attributes, bin(res->attributes[k]->key)))
                                add_attribute(m, SL_STR_NULL, res->attributes[k], 0);
                resource_md.n = (uint32_t)(req->n_kvs - resource_md.first);

                for (size_t j = 0; j < rl->n_scope_logs; j++) {
                        const ScopeLogs *sl = rl->scope_logs[j];
                        const Sluice__Otlp__InstrumentationScope *scope = sl->scope;
                        struct kv_run scope_md = { .first = (uint32_t)req->n_kvs };

                        for (size_t k = 0; scope && k < scope->n_attributes; k++)
                                add_attribute(m, SL_STR_NULL, scope->attributes[k], 0);
                        if (scope && scope->name.len)
                                sl_push_add_kv(req, sl_str_c("scope_name"), bin(scope->name));
                        if (scope && scope->version.len)
                                sl_push_add_kv(req, sl_str_c("scope_version"), bin(scope->version));
                        if (scope && scope->dropped_attributes_count)
                                add_number(m, "scope_dropped_attributes_count",
                                           scope->dropped_attributes_count);
                        scope_md.n = (uint32_t)(req->n_kvs - scope_md.first);

                        for (size_t k = 0; k < sl->n_log_records; k++) {
                                const LogRecord *lr = sl->log_records[k];
                                struct rec *rec;
                                const char *level;
                                const struct sl_kv *level_field;
                                struct sl_str level_value;
                                uint32_t md_first;

                                if (lr->trace_id.len != 0 && lr->trace_id.len != 16)
                                        return sl_push_fail(reterr, -EINVAL,
                                                            "a trace_id must have 16 bytes, not %zu",
                                                            lr->trace_id.len);
                                if (lr->span_id.len != 0 && lr->span_id.len != 8)
                                        return sl_push_fail(reterr, -EINVAL,
                                                            "a span_id must have 8 bytes, not %zu",
                                                            lr->span_id.len);
                                rec = sl_push_add_rec(req);
                                if (!rec)
                                        return sl_push_fail(reterr, -E2BIG,
                                                            "more than %zu log records in one push",
                                                            req->max_entries);
                                rec->stream = stream;
                                rec->ts_ns = (int64_t)(lr->time_unix_nano ? lr->time_unix_nano
                                                                          : lr->observed_time_unix_nano);
                                rec->line = as_string(lr->body, &m->scratch, &req->arena);
                                if (!rec->line.ptr)
                                        rec->line = sl_str_c("");
                                md_first = (uint32_t)req->n_kvs;
                                for (size_t a = 0; a < lr->n_attributes; a++)
                                        add_attribute(m, SL_STR_NULL, lr->attributes[a], 0);
                                if (lr->time_unix_nano && lr->observed_time_unix_nano)
                                        add_number(m, "observed_timestamp",
                                                   lr->observed_time_unix_nano);
                                if (lr->severity_number)
                                        add_signed(m, "severity_number", lr->severity_number);
                                if (lr->severity_text.len)
                                        sl_push_add_kv(req, sl_str_c("severity_text"),
                                                       bin(lr->severity_text));
                                if (lr->dropped_attributes_count)
                                        add_number(m, "dropped_attributes_count",
                                                   lr->dropped_attributes_count);
                                if (lr->flags)
                                        add_number(m, "flags", lr->flags);
                                if (lr->trace_id.len && !all_zero(lr->trace_id))
                                        sl_push_add_kv(req, sl_str_c("trace_id"),
                                                       hex(lr->trace_id, &req->arena));
                                if (lr->span_id.len && !all_zero(lr->span_id))
                                        sl_push_add_kv(req, sl_str_c("span_id"),
                                                       hex(lr->span_id, &req->arena));
                                for (uint32_t a = 0; a < resource_md.n; a++)
                                        sl_push_add_kv(req, req->kvs[resource_md.first + a].name,
                                                       req->kvs[resource_md.first + a].value);
                                for (uint32_t a = 0; a < scope_md.n; a++)
                                        sl_push_add_kv(req, req->kvs[scope_md.first + a].name,
                                                       req->kvs[scope_md.first + a].value);
                                rec->metadata = (struct kv_run){ md_first,
                                                                 (uint32_t)(req->n_kvs - md_first) };
                                /* For the pipeline: the metadata, and the level as
                                 * Loki's distributor finds it: a level field of the
                                 * metadata, else the severity. */
                                rec->extracted = rec->metadata;
                                level_field = metadata_level(req, rec->metadata);
                                if (level_field && sl_str_eq_c(level_field->name, "level"))
                                        continue; /* extracted with the metadata */
                                if (level_field)
                                        level_value = level_field->value;
                                else if ((level = severity_level(lr->severity_number)) ||
                                         (lr->severity_text.len &&
                                          (level = severity_text_level(bin(lr->severity_text)))))
                                        level_value = sl_str_c(level);
                                else
                                        continue;
                                {
                                        uint32_t ex_first = (uint32_t)req->n_kvs;
                                        for (uint32_t a = 0; a < rec->metadata.n; a++)
                                                sl_push_add_kv(req, req->kvs[md_first + a].name,
                                                               req->kvs[md_first + a].value);
                                        sl_push_add_kv(req, sl_str_c("level"), level_value);
                                        rec->extracted = (struct kv_run){
                                                ex_first, (uint32_t)(req->n_kvs - ex_first) };
                                }
                        }
                }
        }
        return 0;
}

/* ---- OTLP/JSON into the protobuf-c structures ------------------------------ */

struct jctx {
        struct sl_arena *arena;
        char *reterr;
        int depth;
};

/* A field under its lowerCamelCase name or its proto name. */
static json_t *jget(const json_t *o, const char *camel, const char *snake) {
        json_t *v = json_object_get(o, camel);
        return v ? v : (snake ? json_object_get(o, snake) : NULL);
}

static void *jalloc(struct jctx *c, size_t n) {
        void *p = sl_arena_alloc(c->arena, n);
        memset(p, 0, n);
        return p;
}

static ProtobufCBinaryData jbin(const json_t *v) {
        return (ProtobufCBinaryData){ json_string_length(v), (uint8_t *)json_string_value(v) };
}

static int jfail(struct jctx *c, const char *what) {
        return sl_push_fail(c->reterr, -EINVAL, "OTLP/JSON: %s", what);
}

/* An int64/uint64 field: a JSON number or a decimal string. */
static int jint(struct jctx *c, const json_t *v, bool is_unsigned, int64_t *ret, const char *what) {
        if (!v || json_is_null(v)) {
                *ret = 0;
                return 0;
        }
        if (json_is_integer(v)) {
                *ret = json_integer_value(v);
                return 0;
        }
        if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
            fabs(json_real_value(v)) < 9.2e18) {
                *ret = (int64_t)json_real_value(v);
                return 0;
        }
        if (json_is_string(v)) {
                const char *s = json_string_value(v);
                char *end;
                errno = 0;
                if (is_unsigned) {
                        unsigned long long u = strtoull(s, &end, 10);
                        if (!errno && *s && *end == '\0' && *s != '-') {
                                *ret = (int64_t)u;
                                return 0;
                        }
                } else {
                        long long n = strtoll(s, &end, 10);
                        if (!errno && *s && *end == '\0') {
                                *ret = n;
                                return 0;
                        }
                }
        }
        return jfail(c, what);
}

static int jhex(struct jctx *c, const json_t *v, ProtobufCBinaryData *ret, const char *what) {
        const char *s = json_string_value(v);
        size_t n;
        uint8_t *out;

        *ret = (ProtobufCBinaryData){ 0, NULL };
        if (!v || json_is_null(v))
                return 0;
        if (!s)
                return jfail(c, what);
        n = json_string_length(v);
        if (n % 2)
                return jfail(c, what);
        out = jalloc(c, n / 2 + 1);
        for (size_t i = 0; i < n; i += 2) {
                int h = 0, l = 0;
                for (int k = 0; k < 2; k++) {
                        char ch = s[i + (size_t)k];
                        int d = ch >= '0' && ch <= '9' ? ch - '0'
                                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
                        if (d < 0)
                                return jfail(c, what);
                        if (k == 0)
                                h = d;
                        else
                                l = d;
                }
                out[i / 2] = (uint8_t)(h * 16 + l);
        }
        *ret = (ProtobufCBinaryData){ n / 2, out };
        return 0;
}

static int jbase64(struct jctx *c, const json_t *v, ProtobufCBinaryData *ret) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v), o = 0;
        uint32_t acc = 0;
        int bits = 0;
        uint8_t *out;

        if (!s)
                return jfail(c, "bytesValue must be a base64 string");
        out = jalloc(c, n * 3 / 4 + 3);
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];
                int d = ch >= 'A' && ch <= 'Z' ? ch - 'A' : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
                        : ch >= '0' && ch <= '9' ? ch - '0' + 52 : ch == '+' || ch == '-' ? 62
                        : ch == '/' || ch == '_' ? 63 : ch == '=' ? -2 : -1;
                if (d == -2)
                        break;
                if (d < 0)
                        return jfail(c, "bytesValue must be a base64 string");
                acc = acc << 6 | (uint32_t)d;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (uint8_t)(acc >> bits);
                }
        }
        *ret = (ProtobufCBinaryData){ o, out };
        return 0;
}

static int jkeyvalues(struct jctx *c, const json_t *arr, size_t *ret_n, KeyValue ***ret);

static int janyvalue(struct jctx *c, const json_t *o, AnyValue **ret) {
        AnyValue *v;
        json_t *f;
        int r = 0;

        *ret = NULL;
        if (!o || json_is_null(o))
                return 0;
        if (!json_is_object(o))
                return jfail(c, "an AnyValue must be an object");
        if (++c->depth > 64)
                return jfail(c, "values nested too deeply");
        v = jalloc(c, sizeof(*v));
        sluice__otlp__any_value__init(v);
        if ((f = jget(o, "stringValue", "string_value"))) {
                if (!json_is_string(f))
                        return jfail(c, "stringValue must be a string");
                v->value_case = SLUICE__OTLP__ANY_VALUE__VALUE_STRING_VALUE;
                v->string_value = jbin(f);
        } else if ((f = jget(o, "boolValue", "bool_value"))) {
                if (!json_is_boolean(f))
                        return jfail(c, "boolValue must be true or false");
                v->value_case = SLUICE__OTLP__ANY_VALUE__VALUE_BOOL_VALUE;
                v->bool_value = json_is_true(f);
        } else if ((f = jget(o, "intValue", "int_value"))) {
                v->value_case = SLUICE__OTLP__ANY_VALUE__VALUE_INT_VALUE;
                r = jint(c, f, false, &v->int_value, "intValue must be an integer");
        } else if ((f = jget(o, "doubleValue", "double_value"))) {
                v->value_case = SLUICE__OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE;
                if (json_is_number(f))
                        v->double_value = json_number_value(f);
                else if (json_is_string(f) && strcmp(json_string_value(f), "NaN") == 0)
                        v->double_value = NAN;
                else if (json_is_string(f) && strcmp(json_string_value(f), "Infinity") == 0)
                        v->double_value = INFINITY;
                else if (json_is_string(f) && strcmp(json_string_value(f), "-Infinity") == 0)
                        v->double_value = -INFINITY;
                else
                        return jfail(c, "doubleValue must be a number");
        } else if ((f = jget(o, "bytesValue", "bytes_value"))) {
                v->value_case = SLUICE__OTLP__ANY_VALUE__VALUE_BYTES_VALUE;
                r = jbase64(c, f, &v->bytes_value);
        } else if ((f = jget(o, "arrayValue", "array_value"))) {
                json_t *vals = json_object_get(f, "values");
                Sluice__Otlp__ArrayValue *a = jalloc(c, sizeof(*a));
                sluice__otlp__array_value__init(a);
                if (!json_is_object(f) || (vals && !json_is_array(vals)))
                        return jfail(c, "arrayValue must be {\"values\": [...]}");
                a->n_values = json_array_size(vals);
                a->values = jalloc(c, (a->n_values + 1) * sizeof(*a->values));
                for (size_t i = 0; i < a->n_values && r == 0; i++) {
                        r = janyvalue(c, json_array_get(vals, i), &a->values[i]);
                        if (r == 0 && !a->values[i]) {
                                a->values[i] = jalloc(c, sizeof(AnyValue));
                                sluice__otlp__any_value__init(a->values[i]);
                        }
                }
                v->value_case = SLUICE__OTLP__ANY_VALUE__VALUE_ARRAY_VALUE;
                v->array_value = a;
        } else if ((f = jget(o, "kvlistValue", "kvlist_value"))) {
                Sluice__Otlp__KeyValueList *l = jalloc(c, sizeof(*l));
                sluice__otlp__key_value_list__init(l);
                if (!json_is_object(f))
                        return jfail(c, "kvlistValue must be {\"values\": [...]}");
                r = jkeyvalues(c, json_object_get(f, "values"), &l->n_values, &l->values);
                v->value_case = SLUICE__OTLP__ANY_VALUE__VALUE_KVLIST_VALUE;
                v->kvlist_value = l;
        }
        c->depth--;
        *ret = v;
        return r;
}

static int jkeyvalues(struct jctx *c, const json_t *arr, size_t *ret_n, KeyValue ***ret) {
        size_t n;
        KeyValue **kvs;

        *ret_n = 0;
        *ret = NULL;
        if (!arr || json_is_null(arr))
                return 0;
        if (!json_is_array(arr))
                return jfail(c, "attributes must be a list of {\"key\", \"value\"}");
        n = json_array_size(arr);
        kvs = jalloc(c, (n + 1) * sizeof(*kvs));
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_array_get(arr, i), *key = json_object_get(o, "key");
                KeyValue *kv = jalloc(c, sizeof(*kv));
                int r;

                sluice__otlp__key_value__init(kv);
                if (!json_is_object(o) || (key && !json_is_string(key)))
                        return jfail(c, "attributes must be a list of {\"key\", \"value\"}");
                if (key)
                        kv->key = jbin(key);
                r = janyvalue(c, json_object_get(o, "value"), &kv->value);
                if (r < 0)
                        return r;
                kvs[i] = kv;
        }
        *ret_n = n;
        *ret = kvs;
        return 0;
}

static int jseverity(struct jctx *c, const json_t *v, int32_t *ret) {
        const char *s;
        int64_t n;
        int r;

        *ret = 0;
        if (!v || json_is_null(v))
                return 0;
        if (json_is_string(v) && (s = json_string_value(v)) &&
            strncmp(s, "SEVERITY_NUMBER_", 16) == 0) {
                for (size_t i = 0; i < sizeof(severity_names) / sizeof(*severity_names); i++)
                        if (strcmp(s + 16, severity_names[i]) == 0) {
                                *ret = (int32_t)i;
                                return 0;
                        }
                return jfail(c, "unknown severityNumber");
        }
        r = jint(c, v, false, &n, "severityNumber must be an integer or a SEVERITY_NUMBER_ name");
        if (r == 0)
                *ret = (int32_t)n;
        return r;
}

static int jlogrecord(struct jctx *c, const json_t *o, LogRecord **ret) {
        LogRecord *lr = jalloc(c, sizeof(*lr));
        json_t *f;
        int64_t n;
        int r;

        sluice__otlp__log_record__init(lr);
        if (!json_is_object(o))
                return jfail(c, "a log record must be an object");
        r = jint(c, jget(o, "timeUnixNano", "time_unix_nano"), true, &n,
                 "timeUnixNano must be an integer");
        if (r < 0)
                return r;
        lr->time_unix_nano = (uint64_t)n;
        r = jint(c, jget(o, "observedTimeUnixNano", "observed_time_unix_nano"), true, &n,
                 "observedTimeUnixNano must be an integer");
        if (r < 0)
                return r;
        lr->observed_time_unix_nano = (uint64_t)n;
        r = jseverity(c, jget(o, "severityNumber", "severity_number"), &lr->severity_number);
        if (r < 0)
                return r;
        if ((f = jget(o, "severityText", "severity_text")) && !json_is_null(f)) {
                if (!json_is_string(f))
                        return jfail(c, "severityText must be a string");
                lr->severity_text = jbin(f);
        }
        r = janyvalue(c, json_object_get(o, "body"), &lr->body);
        if (r < 0)
                return r;
        r = jkeyvalues(c, json_object_get(o, "attributes"), &lr->n_attributes, &lr->attributes);
        if (r < 0)
                return r;
        r = jint(c, jget(o, "droppedAttributesCount", "dropped_attributes_count"), true, &n,
                 "droppedAttributesCount must be an integer");
        if (r < 0)
                return r;
        lr->dropped_attributes_count = (uint32_t)n;
        r = jint(c, json_object_get(o, "flags"), true, &n, "flags must be an integer");
        if (r < 0)
                return r;
        lr->flags = (uint32_t)n;
        r = jhex(c, jget(o, "traceId", "trace_id"), &lr->trace_id, "traceId must be hex");
        if (r < 0)
                return r;
        r = jhex(c, jget(o, "spanId", "span_id"), &lr->span_id, "spanId must be hex");
        if (r < 0)
                return r;
        *ret = lr;
        return 0;
}

static int jrequest(struct jctx *c, const json_t *root, ExportRequest **ret) {
        ExportRequest *x = jalloc(c, sizeof(*x));
        json_t *rls = jget(root, "resourceLogs", "resource_logs");
        int r;

        sluice__otlp__export_logs_service_request__init(x);
        if (!json_is_object(root) || (rls && !json_is_array(rls)))
                return jfail(c, "expected {\"resourceLogs\": [...]}");
        x->n_resource_logs = json_array_size(rls);
        x->resource_logs = jalloc(c, (x->n_resource_logs + 1) * sizeof(*x->resource_logs));
        for (size_t i = 0; i < x->n_resource_logs; i++) {
                json_t *o = json_array_get(rls, i), *res, *sls;
                ResourceLogs *rl = jalloc(c, sizeof(*rl));

                sluice__otlp__resource_logs__init(rl);
                x->resource_logs[i] = rl;
                if (!json_is_object(o))
                        return jfail(c, "a resourceLogs item must be an object");
                res = json_object_get(o, "resource");
                if (res && !json_is_null(res)) {
                        rl->resource = jalloc(c, sizeof(*rl->resource));
                        sluice__otlp__resource__init(rl->resource);
                        if (!json_is_object(res))
                                return jfail(c, "resource must be an object");
                        r = jkeyvalues(c, json_object_get(res, "attributes"),
                                       &rl->resource->n_attributes, &rl->resource->attributes);
                        if (r < 0)
                                return r;
                }
                sls = jget(o, "scopeLogs", "scope_logs");
                if (sls && !json_is_array(sls))
                        return jfail(c, "scopeLogs must be a list");
                rl->n_scope_logs = json_array_size(sls);
                rl->scope_logs = jalloc(c, (rl->n_scope_logs + 1) * sizeof(*rl->scope_logs));
                for (size_t j = 0; j < rl->n_scope_logs; j++) {
                        json_t *so = json_array_get(sls, j), *scope, *recs, *f;
                        ScopeLogs *sl = jalloc(c, sizeof(*sl));
                        int64_t n;

                        sluice__otlp__scope_logs__init(sl);
                        rl->scope_logs[j] = sl;
                        if (!json_is_object(so))
                                return jfail(c, "a scopeLogs item must be an object");
                        scope = json_object_get(so, "scope");
                        if (scope && !json_is_null(scope)) {
                                if (!json_is_object(scope))
                                        return jfail(c, "scope must be an object");
                                sl->scope = jalloc(c, sizeof(*sl->scope));
                                sluice__otlp__instrumentation_scope__init(sl->scope);
                                if ((f = json_object_get(scope, "name")) && json_is_string(f))
                                        sl->scope->name = jbin(f);
                                if ((f = json_object_get(scope, "version")) && json_is_string(f))
                                        sl->scope->version = jbin(f);
                                r = jkeyvalues(c, json_object_get(scope, "attributes"),
                                               &sl->scope->n_attributes, &sl->scope->attributes);
                                if (r < 0)
                                        return r;
                                r = jint(c, jget(scope, "droppedAttributesCount",
                                                 "dropped_attributes_count"), true, &n,
                                         "droppedAttributesCount must be an integer");
                                if (r < 0)
                                        return r;
                                sl->scope->dropped_attributes_count = (uint32_t)n;
                        }
                        recs = jget(so, "logRecords", "log_records");
                        if (recs && !json_is_array(recs))
                                return jfail(c, "logRecords must be a list");
                        sl->n_log_records = json_array_size(recs);
                        sl->log_records = jalloc(c, (sl->n_log_records + 1) * sizeof(*sl->log_records));
                        for (size_t k = 0; k < sl->n_log_records; k++) {
                                r = jlogrecord(c, json_array_get(recs, k), &sl->log_records[k]);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        *ret = x;
        return 0;
}

/* ---- nesting of a protobuf body ------------------------------------------- */

/* Messages nest at most this deep in a body that is unpacked: protobuf-c
 * unpacks (and frees) recursively, and values can nest without end. */
#define MAX_PROTO_DEPTH 100

enum msg_type {
        MSG_REQUEST, MSG_RESOURCE_LOGS, MSG_RESOURCE, MSG_SCOPE_LOGS, MSG_SCOPE,
        MSG_LOG_RECORD, MSG_KEY_VALUE, MSG_ANY_VALUE, MSG_ARRAY, MSG_KVLIST, MSG_NONE,
};

/* The message type of field @field of a @type message, MSG_NONE for a
 * field that holds no message. */
static enum msg_type child_type(enum msg_type type, uint64_t field) {
        switch (type) {
        case MSG_REQUEST: return field == 1 ? MSG_RESOURCE_LOGS : MSG_NONE;
        case MSG_RESOURCE_LOGS: return field == 1 ? MSG_RESOURCE : field == 2 ? MSG_SCOPE_LOGS : MSG_NONE;
        case MSG_RESOURCE: return field == 1 ? MSG_KEY_VALUE : MSG_NONE;
        case MSG_SCOPE_LOGS: return field == 1 ? MSG_SCOPE : field == 2 ? MSG_LOG_RECORD : MSG_NONE;
        case MSG_SCOPE: return field == 3 ? MSG_KEY_VALUE : MSG_NONE;
        case MSG_LOG_RECORD: return field == 5 ? MSG_ANY_VALUE : field == 6 ? MSG_KEY_VALUE : MSG_NONE;
        case MSG_KEY_VALUE: return field == 2 ? MSG_ANY_VALUE : MSG_NONE;
        case MSG_ANY_VALUE: return field == 5 ? MSG_ARRAY : field == 6 ? MSG_KVLIST : MSG_NONE;
        case MSG_ARRAY: return field == 1 ? MSG_ANY_VALUE : MSG_NONE;
        case MSG_KVLIST: return field == 1 ? MSG_KEY_VALUE : MSG_NONE;
        default: return MSG_NONE;
        }
}

static bool read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *ret) {
        uint64_t v = 0;

        for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
                uint8_t b = p[(*pos)++];
                v |= (uint64_t)(b & 0x7F) << shift;
                if (!(b & 0x80)) {
                        *ret = v;
                        return true;
                }
        }
        return false;
}

/* Whether the messages of an ExportLogsServiceRequest body nest deeper
 * than MAX_PROTO_DEPTH, walked without recursion. A body that is not
 * well-formed is left to the unpacking to refuse. */
static bool nests_too_deep(const uint8_t *p, size_t len) {
        struct {
                size_t end;
                enum msg_type type;
        } stack[MAX_PROTO_DEPTH + 1];
        size_t depth = 0, pos = 0;

        stack[0].end = len;
        stack[0].type = MSG_REQUEST;
        for (;;) {
                uint64_t key, n;
                enum msg_type child;

                while (pos >= stack[depth].end) {
                        if (pos > stack[depth].end || depth == 0)
                                return false;
                        depth--;
                }
                if (!read_varint(p, len, &pos, &key))
                        return false;
                switch (key & 7) {
                case 0:
                        if (!read_varint(p, len, &pos, &n))
                                return false;
                        break;
                case 1:
                        pos += 8;
                        break;
                case 5:
                        pos += 4;
                        break;
                case 2:
                        if (!read_varint(p, len, &pos, &n) || n > stack[depth].end - pos)
                                return false;
                        child = child_type(stack[depth].type, key >> 3);
                        if (child == MSG_NONE) {
                                pos += n;
                                break;
                        }
                        if (depth == MAX_PROTO_DEPTH)
                                return true;
                        depth++;
                        stack[depth].end = pos + n;
                        stack[depth].type = child;
                        break;
                default:
                        return false;
                }
        }
}

static bool media_is(const char *content_type, const char *want) {
        size_t n = strlen(want);

        if (!content_type)
                return false;
        while (*content_type == ' ')
                content_type++;
        if (strncasecmp(content_type, want, n) != 0)
                return false;
        content_type += n;
        while (*content_type == ' ')
                content_type++;
        return *content_type == '\0' || *content_type == ';';
}

int sl_push_decode_otlp(struct sl_push_request *req, const char *content_type, const void *body,
                        size_t len, char *reterr) {
        const ExportRequest *x;
        struct mapper m = { .req = req };
        size_t records = 0;
        int r;

        if (media_is(content_type, "application/x-protobuf")) {
                ExportRequest *msg;

                if (nests_too_deep(body, len))
                        return sl_push_fail(reterr, -EINVAL,
                                            "values nested more than %d messages deep",
                                            MAX_PROTO_DEPTH);
                msg = sluice__otlp__export_logs_service_request__unpack(NULL, len,
                                                                       (const uint8_t *)body);
                if (!msg)
                        return sl_push_fail(reterr, -EINVAL,
                                            "the body is not an OTLP ExportLogsServiceRequest "
                                            "(protobuf)");
                req->otlp = msg;
                x = msg;
        } else if (media_is(content_type, "application/json")) {
                struct jctx c = { .arena = &req->arena, .reterr = reterr };
                ExportRequest *built = NULL;
                json_error_t jerr;
                json_t *root = json_loadb(body, len, 0, &jerr);

                if (!root)
                        return sl_push_fail(reterr, -EINVAL,
                                            "invalid JSON at line %d column %d: %s", jerr.line,
                                            jerr.column, jerr.text);
                req->json = root;
                r = jrequest(&c, root, &built);
                if (r < 0)
                        return r;
                x = built;
        } else {
                return sl_push_fail(reterr, -ENOTSUP,
                                    "Content-Type \"%.64s\" not supported: expected "
                                    "application/x-protobuf or application/json",
                                    content_type ? content_type : "");
        }

        /* Refuse an oversized push before building anything for it. */
        for (size_t i = 0; i < x->n_resource_logs; i++)
                for (size_t j = 0; j < x->resource_logs[i]->n_scope_logs; j++)
                        records += x->resource_logs[i]->scope_logs[j]->n_log_records;
        if (req->max_entries && records > req->max_entries)
                return sl_push_fail(reterr, -E2BIG, "more than %zu log records in one push",
                                    req->max_entries);

        sl_buf_init(&m.scratch, req->max_body ? req->max_body : SIZE_MAX / 2);
        sl_buf_init(&m.name, 1u << 20);
        r = map_request(&m, x, reterr);
        sl_buf_release(&m.scratch);
        sl_buf_release(&m.name);
        return r;
}
