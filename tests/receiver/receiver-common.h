/* receiver-common.h - what the test receiver and the push client share:
 * allocation that aborts on OOM, and Loki's stream label text (parse, render).
 *
 * The receiver is the oracle the end-to-end tests judge sluice by, so nothing
 * here comes from src/: a bug in sluice's own label rendering must not be
 * mirrored by the code that checks it. Only header-only base/cleanup.h is used.
 *
 * Label text is Prometheus selector syntax as Loki reads it on push:
 *   {name="value", other="v\"2"}
 * names match [a-zA-Z_][a-zA-Z0-9_]*; values are double-quoted Go string
 * literals (\a \b \f \n \r \t \v \\ \" \xHH \ooo \uHHHH \UHHHHHHHH); spaces
 * around tokens and one trailing comma are allowed; only `=` is a valid
 * matcher. Values are byte strings (\x00 may put a NUL in one).
 *
 * Calling sequence:
 *   struct sl_rcv_labels set = {0};
 *   sl_rcv_labels_parse(text, len, &set, err, sizeof(err))   or _add()
 *   sl_rcv_labels_render(&set)      new string, names sorted
 *   sl_rcv_labels_release(&set)
 * Threading: no shared state; any thread may use its own sets.
 */
#ifndef SL_RCV_COMMON_H
#define SL_RCV_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/cleanup.h"

/* Allocation helpers: abort on OOM, like src/base/xalloc.h (kept separate
 * so the receiver links nothing of sluice). */
void *sl_rcv_xmalloc(size_t size);
void *sl_rcv_xrealloc(void *ptr, size_t size);
/* New NUL-terminated copy of @len bytes at @s (which may hold NULs). */
char *sl_rcv_xmemdup(const char *s, size_t len);

struct sl_rcv_label {
        char *name;             /* owned, NUL-terminated, a valid label name */
        size_t name_len;        /* bytes in name */
        char *value;            /* owned, NUL-terminated (may also hold NULs) */
        size_t value_len;       /* bytes in value */
};

struct sl_rcv_labels {
        struct sl_rcv_label *v; /* owned array, in the order parsed or added */
        size_t n;               /* labels in v */
        size_t cap;             /* slots allocated in v */
};

/* True if @name matches [a-zA-Z_][a-zA-Z0-9_]*. */
bool sl_rcv_label_name_valid(const char *name, size_t len);

/* Appends a copy of @name=@value to @set. No validation: the push client
 * uses it to send whatever a test asks for. */
void sl_rcv_labels_add(struct sl_rcv_labels *set, const char *name, size_t name_len,
                       const char *value, size_t value_len);

/* Finds @name in @set; returns the label (borrowed from @set) or NULL. */
const struct sl_rcv_label *sl_rcv_labels_find(const struct sl_rcv_labels *set,
                                              const char *name, size_t name_len);

/* Parses the label text @text (@len bytes) into @set, which must be empty.
 * Refuses syntax errors, invalid names and duplicate names. Returns 0, or
 * -EINVAL with a message in @reterr (@errlen bytes, always terminated); on
 * failure @set is left empty. */
int sl_rcv_labels_parse(const char *text, size_t len, struct sl_rcv_labels *set,
                        char *reterr, size_t errlen);

/* Renders @set as Loki does: names sorted bytewise, `name="value"` joined by
 * ", " inside braces; values escaped as Go literals (\\ \" \n \r \t, other
 * control bytes as \xHH; UTF-8 bytes kept). Returns a new string. */
char *sl_rcv_labels_render(const struct sl_rcv_labels *set);

/* Frees every label of @set and leaves it empty; NULL is a no-op. */
void sl_rcv_labels_release(struct sl_rcv_labels *set);

#endif
