/* go-regex.h - regular expressions written in Go's RE2 syntax, run by PCRE2
 * with JIT.
 *
 * Promtail's stages and the relabel_configs of its scrape configs
 * (Prometheus' relabeling) take Go regexps (`regexp` package, RE2 syntax).
 * PCRE2
 * reads a superset of that syntax, so a pattern is first checked against
 * what Go accepts: a construct Go refuses (backreferences \1 \k<n> (?P=n),
 * lookahead and lookbehind, atomic groups, possessive quantifiers, \K \G
 * \Z \R \h \X and other escapes Go does not know, conditionals, recursion,
 * comments, repeat counts above 1000, a repetition of a repetition) is a
 * config error, so that a config sluice accepts also works in Promtail.
 * What Go means is then given to PCRE2: `$` is the end of the text unless
 * (?m) (PCRE2_DOLLAR_ENDONLY), `\v` is the vertical tab, `.` stops at "\n"
 * only, \d \w \s \b are ASCII, and text that is not valid UTF-8 is still
 * searched, byte by byte where it is broken.
 *
 * Searches are unanchored (Go's Find*): the leftmost match, alternatives
 * tried in order (leftmost-first, as Go and PCRE both do).
 *
 * Limits: every search runs under PCRE2's limits, so that no pattern of a
 * config can make a hostile line cost unbounded time or memory:
 *   SL_GO_REGEX_MATCH_LIMIT  backtracking steps (a tenth of PCRE2's default)
 *   SL_GO_REGEX_DEPTH_LIMIT  nested backtracking frames (without JIT)
 *   SL_GO_REGEX_HEAP_KIB     heap for backtracking frames
 * A search cut short finds nothing and sl_go_regex_limited() says so: a
 * pattern like (a+)+$ costs milliseconds on the worst line, not seconds.
 * (Go's own engine is linear and needs none; PCRE2 backtracks.)
 *
 * JIT: a regex is compiled to machine code by PCRE2's JIT only once it has
 * been searched SL_GO_REGEX_JIT_AFTER times, so the ones that run on every
 * line get it within their first lines, while those run a few times (the
 * relabel rules, once per target) are never JIT-compiled: that costs time at
 * start and the JIT compiler's pages in memory (about 300 KiB of RSS) for
 * nothing. Results are the same either way; only the limits are counted
 * differently (PCRE2's JIT has its own stack instead of the depth limit).
 *
 * Owns: the compiled code, its match context (the limits) and one
 * match-data block reused by every search
 * (so a struct sl_go_regex serves one search at a time: loop thread only).
 * Calling sequence: sl_go_regex_new() at config time, then any number of
 * sl_go_regex_search() with sl_go_regex_group() on its result, then
 * sl_go_regex_free().
 */
#ifndef SL_BASE_GO_REGEX_H
#define SL_BASE_GO_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/str.h"

#define SL_GO_REGEX_MATCH_LIMIT 1000000u
#define SL_GO_REGEX_DEPTH_LIMIT 100000u
#define SL_GO_REGEX_HEAP_KIB 16384u
#define SL_GO_REGEX_JIT_AFTER 64u

struct sl_go_regex;

/* Compiles @pattern (NUL-terminated). Returns 0 and a new regex in *@ret,
 * or -EINVAL with a message (what is wrong, at which offset) in @msg. */
int sl_go_regex_new(const char *pattern, struct sl_go_regex **ret, char *msg, size_t msg_size);
void sl_go_regex_free(struct sl_go_regex *re);
SL_DEFINE_CLEANUP(struct sl_go_regex *, sl_go_regex_free)

/* Number of capture groups (group 0, the whole match, not counted). */
size_t sl_go_regex_groups(const struct sl_go_regex *re);
/* Name of group @i (1-based), or NULL when it has none. Borrowed from @re. */
const char *sl_go_regex_group_name(const struct sl_go_regex *re, size_t i);

/* Searches @subject from byte @start. Returns true on a match; the groups
 * are then read with sl_go_regex_group() until the next search. */
bool sl_go_regex_search(struct sl_go_regex *re, struct sl_str subject, size_t start);
/* Group @i (0 = the whole match) of the last successful search of
 * @subject, a slice of it; *@ret_set is false (and the slice empty) for a
 * group that did not take part in the match. */
struct sl_str sl_go_regex_group(const struct sl_go_regex *re, struct sl_str subject, size_t i,
                                bool *ret_set);

/* Whether the last search was cut short by a limit (it returned false
 * without an answer). */
bool sl_go_regex_limited(const struct sl_go_regex *re);
/* Whether @re matches somewhere in @subject. */
static inline bool sl_go_regex_matches(struct sl_go_regex *re, struct sl_str subject) {
        return sl_go_regex_search(re, subject, 0);
}

/* Go's Regexp.ReplaceAllString (@literal false: $1, ${1}, $name, ${name}
 * and $$ in @repl expand as Go's Expand does, an unknown group to "") or
 * ReplaceAllLiteralString (@literal true), appended to @out: every
 * non-overlapping match replaced, an empty match not right after the
 * previous match. Returns 0 or -ENOBUFS (@out's cap). */
int sl_go_regex_replace_all(struct sl_go_regex *re, struct sl_str subject, struct sl_str repl,
                            bool literal, struct sl_buf *out);

/* Appends the expansion of the template @repl (Go's Regexp.Expand) for the
 * last match of @subject to @out. */
int sl_go_regex_expand(const struct sl_go_regex *re, struct sl_str subject, struct sl_str repl,
                       struct sl_buf *out);

/* Bytes of the UTF-8 sequence starting at @p (before @end): 1 for ASCII
 * and for a byte that does not start a valid sequence, as Go steps over
 * it. */
size_t sl_utf8_width(const char *p, const char *end);

#endif
