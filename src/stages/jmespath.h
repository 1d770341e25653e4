/* jmespath.h - the JMESPath that Promtail's json stage evaluates, on a
 * jansson tree, and Go's rendering of JSON values.
 *
 * Supported: identifiers (foo, "quoted key"), sub-expressions (a.b),
 * indexes (a[0], a[-1]), slices (a[1:3], a[::2], a[::-1]), projections
 * (a[*].b, a[].b flattening one level, a.*.b over an object's values),
 * and pipes (a[*].b | [0]) which stop a projection. As JMESPath defines
 * them: a step on a value of the wrong type gives null, a projection
 * drops the nulls its elements give. Anything else (filters, functions,
 * multi-selects, literals) is refused at compile time, with what and
 * where.
 *
 * Owns: the compiled steps. Evaluation allocates through jansson (the
 * json stage points jansson at the entry's arena while it runs).
 * Calling sequence: sl_jmespath_new() at config time, sl_jmespath_eval()
 * per document, sl_jmespath_free(). Loop thread only.
 */
#ifndef SL_STAGES_JMESPATH_H
#define SL_STAGES_JMESPATH_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "base/str.h"

struct sl_jmespath;

/* Compiles @text. Returns 0 and a new expression, or -EINVAL with the
 * reason in @msg. */
int sl_jmespath_new(const char *text, struct sl_jmespath **ret, char *msg, size_t msg_size);
void sl_jmespath_free(struct sl_jmespath *x);
SL_DEFINE_CLEANUP(struct sl_jmespath *, sl_jmespath_free)

/* Evaluates @x on @root (borrowed). Returns a new reference, or NULL for
 * JMESPath's null (also a JSON null). */
json_t *sl_jmespath_eval(const struct sl_jmespath *x, json_t *root);

/* Appends @v as Go's json.Marshal writes the value Go's json.Unmarshal
 * made of it: object keys sorted, every number a float64 ('f' form, 'e'
 * form below 1e-6 and from 1e21 on, "1e-7" not "1e-07"), strings with
 * <, >, & and U+2028/2029 escaped. Returns 0 or -ENOBUFS. */
int sl_go_json_render(const json_t *v, struct sl_buf *out);

/* Appends @d as Go's strconv.FormatFloat(d, 'f', -1, 64): the shortest
 * digits that read back as @d, never an exponent ("1e21" is
 * "1000000000000000000000"). Returns 0 or -ENOBUFS. */
int sl_go_format_float(double d, struct sl_buf *out);

#endif
