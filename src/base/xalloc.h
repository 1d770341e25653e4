/* xalloc.h - allocation that never returns NULL.
 *
 * Small allocations abort the process on OOM (as Redis' zmalloc and Git's
 * xmalloc do), so callers carry no untested NULL paths. Memory that grows with
 * input is bounded by caps chosen by its owner (see buf.h, arena.h), never by
 * waiting for malloc to fail.
 */
#ifndef SL_BASE_XALLOC_H
#define SL_BASE_XALLOC_H

#include <stddef.h>

/* Each returns new memory owned by the caller, released with free(3). */
void *sl_xmalloc(size_t n);
void *sl_xcalloc(size_t count, size_t n);
void *sl_xrealloc(void *p, size_t n);
char *sl_xstrdup(const char *s);
char *sl_xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *sl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Zeroed `struct T`, e.g. `struct sl_tailer *t = sl_xnew(struct sl_tailer);` */
#define sl_xnew(T) ((T *)sl_xcalloc(1, sizeof(T)))

/* Grows *@items (of @size-byte elements, capacity *@cap) to hold @need.
 * Inline, so the common case (room left) costs one comparison. */
void sl_xgrow_slow(void **items, size_t size, size_t *cap, size_t need);
static inline void sl_xgrow(void **items, size_t size, size_t *cap, size_t need) {
        if (need > *cap)
                sl_xgrow_slow(items, size, cap, need);
}

#endif
