/* cleanup.h - scope guards for owned pointers and file descriptors.
 *
 * A variable declared _cleanup_(fn) has fn(&var) run when it leaves scope.
 * Build an object under a guard and hand it over with TAKE_PTR/TAKE_FD, so
 * every failure path is a plain `return r;` and the success path is explicit:
 *
 *      _cleanup_(sl_thing_freep) struct sl_thing *t = sl_thing_new();
 *      r = sl_thing_open(t, path);
 *      if (r < 0)
 *              return r;
 *      *ret = TAKE_PTR(t);
 *
 * Every module with a `_free` function declares its `_freep` companion with
 * SL_DEFINE_CLEANUP next to the prototype.
 */
#ifndef SL_BASE_CLEANUP_H
#define SL_BASE_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

#define _cleanup_(fn) __attribute__((cleanup(fn)))

/* Declares `static inline void fnp(type *p)` calling fn(*p) when *p is set. */
#define SL_DEFINE_CLEANUP(type, fn)                                     \
        static inline void fn##p(type *p) {                             \
                if (*p)                                                 \
                        fn(*p);                                         \
        }

/* Returns the pointer held in @p and clears @p: ownership leaves the guard. */
#define TAKE_PTR(p) ({ typeof(p) _tp = (p); (p) = NULL; _tp; })
/* Same for a file descriptor; the guard then holds -1. */
#define TAKE_FD(fd) ({ int _tf = (fd); (fd) = -1; _tf; })

static inline void sl_freep(void *p) {
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(sl_freep)

/* Closes *fd if it is >= 0, keeping errno as it was. */
static inline void sl_closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(sl_closep)

#define SL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SL_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
