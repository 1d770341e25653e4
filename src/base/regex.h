/* regex.h - regular expressions in RE2 syntax (Go's regexp), run by PCRE2.
 *
 * Promtail and Prometheus write their regexes for Go's regexp package, whose
 * syntax is RE2's. sluice runs them with PCRE2, which accepts a superset:
 * sl_regex_new() first checks the pattern against RE2's syntax and refuses
 * what RE2 refuses (lookarounds, backreferences, possessive quantifiers,
 * atomic groups, recursion, conditionals, \K and PCRE's other escapes,
 * flags other than i, m, s and U, repeat counts above 1000), so a config
 * that Promtail refuses is refused here too, with a message that says why.
 * The few escapes whose meaning differs are rewritten (RE2's \v is the
 * vertical tab, \123 an octal code), and `$` only matches at the very end
 * of the text, as in RE2 (unless (?m)). Matching is on UTF-8 (invalid
 * bytes never match a character, as RE2's), \d \s \w \b are ASCII, as
 * RE2's. Leftmost-first semantics, as Go's.
 *
 * SL_REGEX_ANCHORED compiles the pattern the way Prometheus' relabeling does:
 * `^(?s:PATTERN)$`, a whole-string match in which `.` also matches '\n'.
 *
 * Owns: the compiled code and one match data block, reused by every match
 * (so a regex is used by one thread, and a match's groups are valid until
 * the next match on it).
 * Calling sequence:
 *   sl_regex_new()          compile (or fail with a message)
 *   sl_regex_match()        any number of matches; after a match,
 *   sl_regex_group(), sl_regex_expand()   read its groups
 *   sl_regex_free()
 */
#ifndef SL_BASE_REGEX_H
#define SL_BASE_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/str.h"

enum sl_regex_flags {
        SL_REGEX_ANCHORED = 1 << 0, /* ^(?s:PATTERN)$, as Prometheus' relabel regexes */
};

struct sl_regex;

/* Compiles @pattern (RE2 syntax). Returns 0 and the regex in *@ret, or
 * -EINVAL with what is wrong written to @errbuf (@errlen bytes; may be
 * NULL). */
int sl_regex_new(const char *pattern, enum sl_regex_flags flags, struct sl_regex **ret,
                 char *errbuf, size_t errlen);
void sl_regex_free(struct sl_regex *re);
SL_DEFINE_CLEANUP(struct sl_regex *, sl_regex_free)

/* The pattern as written (without the anchoring), borrowed. */
const char *sl_regex_pattern(const struct sl_regex *re);

/* Whether @re matches in @s (anywhere, or the whole of it for an anchored
 * regex). After a match, the groups below refer to @s. */
bool sl_regex_match(struct sl_regex *re, struct sl_str s);

/* Group @n (0: the whole match) of the last successful match: 1 and its
 * slice of the subject in *@ret, 0 when the group did not take part or
 * does not exist. */
int sl_regex_group(const struct sl_regex *re, unsigned n, struct sl_str *ret);

/* Appends @tmpl to @out with $1, ${1}, $name and ${name} replaced by the
 * groups of the last successful match, as Go's Regexp.Expand does: a name
 * is the longest run of letters, digits and '_' ($1x is ${1x}); a group
 * that does not exist or did not take part gives nothing; $$ gives '$'; a
 * '$' not followed by a name is kept. Returns 0 or -ENOBUFS (@out's cap). */
int sl_regex_expand(const struct sl_regex *re, struct sl_str tmpl, struct sl_buf *out);

/* Translates RE2 syntax @pattern into the PCRE2 pattern sl_regex_new()
 * compiles (exposed for tests). Returns 0, or -EINVAL with the reason in
 * @errbuf. */
int sl_regex_translate(const char *pattern, struct sl_buf *out, char *errbuf, size_t errlen);

#endif
