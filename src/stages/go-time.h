/* go-time.h - timestamps read with Go reference layouts
 * ("2006-01-02T15:04:05.000Z07:00", "02/Jan/2006:15:04:05 -0700"), as
 * Go's time.Parse and time.ParseInLocation read them, and IANA time zones
 * from the system's tzdata.
 *
 * A layout is compiled once into elements (Jan, January, 1, 01, Mon,
 * Monday, 2, _2, 02, __2, 002, 15, 3, 03, 4, 04, 5, 05, 2006, 06, PM, pm,
 * MST, Z07:00 and the other zone forms, .000 / .999 / ,000 fractions) and
 * literal text between them; parsing follows Go: names case-insensitive,
 * "01" exactly two digits where "1" takes one or two, a fraction after
 * the seconds accepted even when the layout has none, ranges checked (day
 * of that month), the whole value consumed. Elements missing from the
 * layout are zero (month and day one); a layout without a year (no "06"
 * and no "2006") takes the current year, the previous one for a December
 * time read in January and the next for a January time read in December,
 * as Promtail does. A zone abbreviation (MST) that the location does not
 * know means offset 0, as in Go.
 *
 * Zones: sl_go_zone_load() reads /usr/share/zoneinfo/<name> (TZif, the
 * 64-bit data of version 2+ files). Times after the file's last
 * transition keep its last offset (Debian's files list transitions up to
 * 2037).
 *
 * Owns: compiled layouts and zones (read-only after load; any thread).
 */
#ifndef SL_STAGES_GO_TIME_H
#define SL_STAGES_GO_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/str.h"

struct sl_go_layout;
struct sl_go_zone;

/* Compiles @layout. Returns 0 and a new layout (cannot fail but for a
 * layout with no element at all, -EINVAL, which Go would read as text to
 * match exactly and Promtail users never mean). */
int sl_go_layout_new(const char *layout, struct sl_go_layout **ret);
void sl_go_layout_free(struct sl_go_layout *l);
SL_DEFINE_CLEANUP(struct sl_go_layout *, sl_go_layout_free)

/* Parses @value with @l; times without a zone are in @zone (NULL: UTC).
 * @now_ns is the current time, for layouts without a year. Returns 0 and
 * Unix ns in *@ret_ns, or -EINVAL. */
int sl_go_time_parse(const struct sl_go_layout *l, struct sl_str value, const struct sl_go_zone *zone,
                     int64_t now_ns, int64_t *ret_ns);

/* Loads the IANA zone @name ("Europe/Berlin", "UTC"); "" and "UTC" are
 * UTC, "Local" is refused (it would depend on the machine). Returns 0, or
 * -EINVAL with the reason in @msg. */
int sl_go_zone_load(const char *name, struct sl_go_zone **ret, char *msg, size_t msg_size);
void sl_go_zone_free(struct sl_go_zone *z);
SL_DEFINE_CLEANUP(struct sl_go_zone *, sl_go_zone_free)

/* The layout Go names @name (ANSIC, UnixDate, RubyDate, RFC822, RFC822Z,
 * RFC850, RFC1123, RFC1123Z, RFC3339, RFC3339Nano, Kitchen, Stamp,
 * StampMilli, StampMicro, StampNano, DateTime, DateOnly, TimeOnly), or
 * NULL. */
const char *sl_go_named_layout(const char *name);

#endif
