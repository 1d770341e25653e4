/* curl-loop.h - a libcurl multi handle driven by the loop.
 *
 * libcurl's multi socket API asks its owner to watch sockets and keep one
 * timeout. This module answers both on the loop: curl's sockets are
 * registered with sl_loop_add_fd() as curl wants them watched, its timeout
 * is one struct sl_timer, and every readiness or timeout is handed to
 * curl_multi_socket_action(). After each such call the owner's done
 * callback runs: transfers may have finished, and the owner reads them
 * with curl_multi_info_read() (its check_done). Nothing blocks.
 *
 * It is a library of its own (sl-curl-loop, beside sl-base), so that base
 * links no libcurl; the discovery HTTP client and the Loki client use it.
 *
 * Owns: the multi handle, the socket registrations (and the array that
 * remembers them) and the timer. Borrows: the loop (it outlives the
 * struct) and the done callback's userdata. The easy handles added to the
 * multi handle stay their owner's, who removes them before
 * sl_curl_loop_release().
 *
 * Calling sequence:
 *   sl_curl_loop_init()     creates the multi handle; embedded in its owner
 *   sl_curl_loop_multi()    the multi handle, for curl_multi_add_handle() etc.
 *   ... done callbacks from the loop ...
 *   sl_curl_loop_kick()     optional: a done callback from the loop, soon
 *   sl_curl_loop_release()  cleans the multi handle up, unregisters
 * The done callback may add and remove easy handles; it must not release
 * the struct.
 * Threading: loop thread only.
 */
#ifndef SL_BASE_CURL_LOOP_H
#define SL_BASE_CURL_LOOP_H

#include <curl/curl.h>
#include <stddef.h>

#include "base/loop.h"

/* Called after curl was given an event or a timeout: transfers may have
 * finished. */
typedef void (*sl_curl_loop_done_fn)(void *userdata);

struct sl_curl_loop {
        struct sl_loop *loop;           /* borrowed; outlives the struct */
        CURLM *multi;                   /* owned */
        struct sl_timer timer;          /* curl's timeout */
        int *fds;                       /* owned array: curl's sockets on the loop */
        size_t n_fds;                   /* sockets registered */
        size_t cap_fds;                 /* items allocated in fds */
        sl_curl_loop_done_fn done;      /* the owner's check */
        void *userdata;                 /* borrowed, passed to done */
};

/* Creates the multi handle and points its socket and timer callbacks at
 * @loop. Returns 0, or -ENOMEM when curl cannot make the handle (the
 * struct can then still be released). */
int sl_curl_loop_init(struct sl_curl_loop *cl, struct sl_loop *loop, sl_curl_loop_done_fn done,
                      void *userdata);
/* Cleans the multi handle up (its easy handles removed first by their
 * owner), unregisters the sockets left and disarms the timer. A released
 * or zeroed struct is left alone; @loop may be NULL (an owner with no
 * loop, in tests), and the multi handle is cleaned up all the same. */
void sl_curl_loop_release(struct sl_curl_loop *cl);

/* The multi handle, borrowed. */
static inline CURLM *sl_curl_loop_multi(const struct sl_curl_loop *cl) {
        return cl->multi;
}

/* Arms the timer for now: curl is given a timeout and done is called from
 * the loop, never from inside the caller (for an answer that must not come
 * from the call that failed to start a transfer). */
void sl_curl_loop_kick(struct sl_curl_loop *cl);

#endif
