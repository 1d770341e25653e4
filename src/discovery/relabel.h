/* relabel.h - Prometheus' relabeling, applied to a target's labels.
 *
 * The rules are relabel_configs as config/discovery-config.h reads them;
 * sl_relabel_process() runs them in order over a label set, as
 * Prometheus' relabel.Process does (the version Promtail 3.4 embeds):
 *   - the value is the source_labels' values joined by the separator (a
 *     missing label counts as "");
 *   - replace: when the regex matches the value, target_label and
 *     replacement are expanded with its groups ($1, ${1}, ${name});
 *     an expanded target that is not a valid label name changes nothing,
 *     an empty replacement removes the target label;
 *   - keep/drop: the target is dropped when the regex does not match /
 *     matches; keepequal/dropequal: when the value differs from / equals
 *     target_label's value;
 *   - hashmod: target_label = the last 8 bytes of md5(value), big-endian,
 *     modulo modulus;
 *   - labelmap: every label whose name matches is copied to the expanded
 *     replacement; labeldrop/labelkeep remove the labels whose name
 *     matches / does not match (each looks at the labels as they were
 *     before the rule);
 *   - lowercase/uppercase: target_label = the value in lower/upper case
 *     (Unicode letters, as Go's strings.ToLower/ToUpper for UTF-8 text).
 * A label never holds "": setting it removes it.
 *
 * Targets are relabeled when discovered, never per line: the label sets
 * this produces are kept with the target.
 * Threading: matching writes each regex's match data, so rules are used
 * from one thread (the loop's).
 */
#ifndef SL_DISCOVERY_RELABEL_H
#define SL_DISCOVERY_RELABEL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/discovery-config.h"
#include "discovery/label-set.h"

/* Applies @rules (@n of them) to @ls in order. Returns true to keep the
 * target, false as soon as a rule drops it (@ls is then partly
 * relabeled). */
bool sl_relabel_process(struct sl_relabel_config *rules, size_t n, struct sl_label_set *ls);

#endif
