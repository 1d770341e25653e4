/* go-template.h - the part of Go's text/template that Promtail configs use,
 * with Promtail's functions.
 *
 * Syntax: text and actions {{ ... }} (with {{- and -}} trimming spaces,
 * comment actions); in an action a pipeline of commands joined by |,
 * each a function with arguments or an operand: .Field (.a.b), `.`, `$`,
 * "quoted" and `raw` strings, numbers, true, false, nil, ( pipeline );
 * {{ if }} / {{ else if }} / {{ else }} / {{ end }} and {{ with }}.
 * Values are Go's as far as text needs: a data field is a string, a
 * missing one is "no value" (printed <no value>, false in if, refused as
 * an argument of a function that wants a string: the execution fails),
 * numbers written in the template are ints or floats.
 *
 * Functions: Go's eq, ne, lt, le, gt, ge, and, or, not, len, print,
 * printf, println; Promtail's ToLower, ToUpper, Replace, Trim, TrimLeft,
 * TrimRight, TrimPrefix, TrimSuffix, TrimSpace, Hash (SHA3-256),
 * Sha2Hash (SHA-256), regexReplaceAll, regexReplaceAllLiteral; sprig's
 * default, contains, hasPrefix, hasSuffix, trunc, substr, lower, upper, replace,
 * quote, toJson, add. A function not in this list is an error when the
 * template is parsed, naming it. Variables other than `$` are refused
 * there too.
 *
 * Owns: the parsed tree, regexes compiled for constant patterns, and a
 * scratch buffer for the output. A template executes once at a time
 * (loop thread only).
 * Calling sequence: sl_go_template_new() at config time,
 * sl_go_template_exec() per entry, sl_go_template_free().
 */
#ifndef SL_STAGES_GO_TEMPLATE_H
#define SL_STAGES_GO_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/str.h"

struct sl_go_template;

/* Looks up the data field @name (the key after the dot); returns false
 * when there is none. *@ret is borrowed for the execution. */
typedef bool (*sl_go_template_lookup_fn)(void *ud, struct sl_str name, struct sl_str *ret);

/* Parses @text. Returns 0 and a new template, or -EINVAL with what is wrong
 * (and where: "template: 1:12: function \"foo\" not defined") in @msg. */
int sl_go_template_new(const char *text, struct sl_go_template **ret, char *msg, size_t msg_size);
void sl_go_template_free(struct sl_go_template *t);
SL_DEFINE_CLEANUP(struct sl_go_template *, sl_go_template_free)

/* Executes @t with the data found through @lookup; strings that functions
 * build live in @arena. Returns 0 with *@ret the output (valid until the
 * next exec of @t), or -EINVAL when the execution fails as Go's would
 * (a wrong argument type, a missing value where a string is needed, a
 * regex that does not compile), -ENOBUFS when the output passes its cap. */
int sl_go_template_exec(struct sl_go_template *t, sl_go_template_lookup_fn lookup, void *ud,
                        struct sl_arena *arena, struct sl_str *ret);

/* Whether the template's output is its text alone (no action). */
bool sl_go_template_is_constant(const struct sl_go_template *t);

/* Appends @s as Go's json.Marshal writes a string: quoted, <, > and &
 * escaped as \u003c..., U+2028/2029 escaped, invalid UTF-8 as \ufffd
 * (toJson, and the pack stage). */
void sl_go_json_string(struct sl_str s, struct sl_buf *out);

#endif
