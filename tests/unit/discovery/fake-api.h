/* fake-api.h - runs one of the fake APIs of tests/fakes/ (a Python script
 * of the standard library) for a unit test, and runs a loop until a
 * condition holds, bounded. */
#ifndef SL_TEST_FAKE_API_H
#define SL_TEST_FAKE_API_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/loop.h"

struct fake_api {
        pid_t pid;          /* the script's process */
        int out;            /* its stdout, read for "ready" */
        int port;           /* the port of "ready PORT", or 0 */
        char *state;        /* owned; the state file it reads */
        char *requests;     /* owned; where it logs requests */
};

/* Starts tests/fakes/@script with @args (NULL-terminated; "--state" and
 * "--requests" are added, in @dir) and waits for its "ready" line. */
void fake_api_start(struct fake_api *f, const char *dir, const char *script,
                    const char *const *args);
void fake_api_stop(struct fake_api *f);
/* Writes the state file atomically. */
void fake_api_set_state(struct fake_api *f, const char *json);
/* Requests whose line contains @needle so far. */
size_t fake_api_requests(const struct fake_api *f, const char *needle);

/* Runs @loop until @cond(@ud) is true or @timeout_ms pass; returns @cond's
 * last answer. */
bool run_until(struct sl_loop *loop, bool (*cond)(void *ud), void *ud, unsigned timeout_ms);

#endif
