/* inspect.h - -inspect's report: what one stage changed in an entry.
 *
 * The report follows Promtail's (`[inspect: json stage]: ` then one block
 * per change, in go-cmp's path notation so that it reads as Promtail's
 * does):
 *   {stages.Entry}.Extracted["level"]:          an extracted value
 *   {stages.Entry}.Entry.Labels["level"]:       a label
 *   {stages.Entry}.Entry.Entry.Timestamp:       the time
 *   {stages.Entry}.Entry.Entry.Line:            the line
 *   {stages.Entry}.Entry.Entry.StructuredMetadata["trace_id"]:
 * each followed by "\t-: <before>" (changed or removed) and "\t+: <after>"
 * (changed or added); "none" when nothing changed. Names are in order
 * within each kind. Beyond Promtail, which reports only some stages and
 * never what became of the entry, the report ends with the verdict when
 * the entry stops there (dropped with its reason, held) or the stage
 * failed. With @color, ANSI colors as Promtail's: additions green,
 * changes yellow, removals red, the stage's name bold.
 *
 * Pure: appends to a buffer the caller owns; allocates scratch only (it is
 * for debugging, never on the hot path). Any thread.
 */
#ifndef SL_PIPELINE_INSPECT_H
#define SL_PIPELINE_INSPECT_H

#include <stdbool.h>

#include "base/buf.h"
#include "core/entry.h"

/* Appends the report of stage @stage on an entry that was @before and is
 * now @after, the stage having answered @verdict (an enum sl_stage_verdict
 * or -errno), with a final newline. */
void sl_inspect_report(struct sl_buf *out, const char *stage, const struct sl_entry *before,
                       const struct sl_entry *after, int verdict, bool color);

#endif
