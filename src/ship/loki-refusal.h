/* loki-refusal.h - how many entries of a push Loki refused, read from the
 * text of its 400 answer (pure).
 *
 * Loki validates a push stream by stream and stores what passes; when
 * something fails it still answers 400, with one message per refusal
 * (Loki 3.4: pkg/validation/validate.go for the wording,
 * pkg/distributor/distributor.go for the 400), so a 400 is often a partial
 * acceptance. The messages name the stream by its label text in quotes:
 *   the whole stream refused, every entry of it:
 *     Error parsing labels '<labels>' with error: ...
 *     entry for stream '<labels>' has N label names; limit M
 *     stream '<labels>' has label name too long: '...'
 *     stream '<labels>' has label value too long: '...'
 *     stream '<labels>' has duplicate label name: '...'
 *   one entry refused:
 *     entry for stream '<labels>' has timestamp too old: ...
 *     entry for stream '<labels>' has timestamp too new: ...
 *     Max entry size 'N' bytes exceeded for stream '<labels>' while adding ...
 *     stream '<labels>' includes structured metadata, but this feature is ...
 *     stream '<labels>' has structured metadata too large: ...
 *     stream '<labels>' has too many structured metadata labels: ...
 * and identical messages are grouped: "N errors like: <message>", the
 * groups joined by "; ".
 *
 * sl_loki_refused_entries() finds, for each stream of a part of a batch, the
 * messages that name it (its rendered labels between quotes, preceded by
 * one of the openings above) and counts: all its entries for a stream
 * refusal, N for N entry refusals (at most its entries in the part). Loki
 * writes a stream refused for its labels as it was sent, and an entry
 * refusal with the labels as it renders them, which is how sluice renders
 * them unless a value holds bytes Go's strconv.Quote writes otherwise
 * (\a, invalid UTF-8, unprintable characters): such a stream is not found.
 *
 * Owns and borrows nothing beyond a call; no allocation.
 */
#ifndef SL_SHIP_LOKI_REFUSAL_H
#define SL_SHIP_LOKI_REFUSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ship/batch.h"

/* The number of entries among [@first, @first + @count) of the sealed
 * @batch (numbered as push-encode.h numbers them) that Loki's 400 answer
 * @text (@len bytes) says it refused. @complete: @text is the whole answer;
 * when it is not (cut at a cap), the entries of streams it does not name
 * count as refused too, since their messages may be in what was cut.
 * Returns -1 when the answer names none of the part's streams: nothing can
 * be told from it (another wording, or another cause); the caller counts
 * the whole part as refused. */
ssize_t sl_loki_refused_entries(const struct sl_batch *batch, size_t first, size_t count, const char *text,
                                size_t len, bool complete);

#endif
