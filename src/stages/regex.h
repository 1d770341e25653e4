/* regex.h - regular expressions for stages: PCRE2, searched with limits so
 * that no pattern of a config can make a hostile line cost unbounded time
 * or memory.
 *
 * Patterns are compiled with UTF-8 semantics, as RE2's (Promtail's engine),
 * and lines that are not valid UTF-8 still match byte by byte where they
 * are; JIT is used when the platform allows it. Every search runs under
 * PCRE2's limits:
 *   SL_REGEX_MATCH_LIMIT  backtracking steps (PCRE2's match limit; its own
 *                         default is ten times as many)
 *   SL_REGEX_DEPTH_LIMIT  nested backtracking frames (without JIT)
 *   SL_REGEX_HEAP_KIB     heap for backtracking frames
 * A search cut short by one of them has no answer: sl_regex_search() says
 * so (-E2BIG), and the stage treats the entry as not matching; the pipeline
 * counts it as a stage failure. A pattern like (a+)+$ then costs a few
 * milliseconds on the worst line, not seconds.
 *
 * Owns: the compiled pattern, its match data and match context.
 * Calling sequence: sl_regex_new() at load, sl_regex_search() per entry (no
 * allocation), sl_regex_free() (NULL is a no-op).
 * Threading: one search at a time per struct sl_regex (the match data is
 * reused).
 */
#ifndef SL_STAGES_REGEX_H
#define SL_STAGES_REGEX_H

#include <stddef.h>

#include "base/cleanup.h"
#include "base/str.h"

#define SL_REGEX_MATCH_LIMIT 1000000u
#define SL_REGEX_DEPTH_LIMIT 100000u
#define SL_REGEX_HEAP_KIB 16384u

struct sl_regex;

/* Compiles @pattern (NUL-terminated). Returns 0 and a new regex in
 * *@ret; or -EINVAL with PCRE2's message in @errbuf (@errsize bytes) and the
 * offset in @pattern where it stopped in *@ret_offset. */
int sl_regex_new(const char *pattern, struct sl_regex **ret, char *errbuf, size_t errsize,
                 size_t *ret_offset);
void sl_regex_free(struct sl_regex *re);
SL_DEFINE_CLEANUP(struct sl_regex *, sl_regex_free)

/* Searches @subject (any bytes; a NULL pointer with length 0 is the empty
 * string). Returns 1 when the pattern matches somewhere, 0 when it does
 * not, -E2BIG when a limit cut the search short. */
int sl_regex_search(struct sl_regex *re, struct sl_str subject);

#endif
