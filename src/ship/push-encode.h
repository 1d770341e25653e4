/* push-encode.h - a sealed batch as the body of a Loki push (pure).
 *
 * The body is a logproto.PushRequest (see push.proto) compressed with
 * snappy's block format, as Loki expects with Content-Type:
 * application/x-protobuf. The encoder writes the protobuf wire format
 * itself, straight from the batch's bytes, exactly as protobuf-c packs the
 * same message (proto3: empty strings and zero numbers left out; the unit
 * test compares the two byte for byte); timestamps are split into seconds
 * and non-negative nanos. Streams without entries are left out. A batch can
 * also be encoded in parts, by ranges of its entries (to split a body Loki
 * found too large).
 *
 * The serialized message is never held whole: it is written into a 64 KiB
 * block, compressed onto the body each time the block is full (snappy's own
 * block size, so the body is the one snappy_compress() makes of the whole
 * message). Two passes over the entries: their sizes (every message is
 * preceded by its length), then their bytes.
 *
 * Owns: the entries' sizes and the 64 KiB block being compressed, reused
 * from call to call, so a warm encoder does not allocate.
 * Borrows: the batch, only during a call.
 *
 * Calling sequence: sl_push_encoder_new(), sl_push_encoder_encode() or
 * sl_push_encoder_encode_range() any number of times, sl_push_encoder_free(). sl_push_encode() does the three
 * for a single batch. sl_push_decode_range() reads a body back into the
 * batch it was made of.
 * Threading: an encoder is used by one thread at a time.
 */
#ifndef SL_SHIP_PUSH_ENCODE_H
#define SL_SHIP_PUSH_ENCODE_H

#include <stddef.h>

#include "base/buf.h"
#include "base/cleanup.h"
#include "ship/batch.h"

struct sl_push_encoder;

/* Returns a new encoder. @max_packed caps the serialized message (before
 * compression) it will build; 0 means 1 GiB. */
struct sl_push_encoder *sl_push_encoder_new(size_t max_packed);
void sl_push_encoder_free(struct sl_push_encoder *enc);
SL_DEFINE_CLEANUP(struct sl_push_encoder *, sl_push_encoder_free)

/* Replaces the content of @out with the compressed PushRequest of @batch
 * (borrowed, must be sealed). Returns 0; -EINVAL if @batch is not sealed
 * or has dropped its lines (batch.h);
 * -ENOBUFS if the message exceeds the encoder's cap or the compressed body
 * may exceed @out's cap (then @out is left empty); -EIO if snappy fails. */
int sl_push_encoder_encode(struct sl_push_encoder *enc, const struct sl_batch *batch,
                           struct sl_buf *out);

/* Like sl_push_encoder_encode(), for the entries [@first, @first + @count)
 * of @batch, numbered across its streams in order: stream 0's (sorted)
 * entries first, then stream 1's, and so on. Each stream keeps its labels
 * and the order of its entries; streams with no entry in the range are left
 * out. Encoding every range of a partition of [0, sl_batch_entries()) sends
 * each entry exactly once. Returns as sl_push_encoder_encode(), and -ERANGE
 * if the range does not lie within the batch. */
int sl_push_encoder_encode_range(struct sl_push_encoder *enc, const struct sl_batch *batch,
                                 size_t first, size_t count, struct sl_buf *out);

/* The way back, for a batch that dropped its lines (batch.h) and kept its
 * bodies: puts back with sl_batch_restore() the entries that @body carries,
 * @body being what sl_push_encoder_encode_range() made of this batch's
 * entries [@first, @first + @count). Give the bodies of a partition of the
 * batch in the order of their ranges, then call sl_batch_restore_end().
 * Decoding allocates (protobuf-c's message); it serves the rare split of
 * a body Loki found too large. Returns 0, or -EBADMSG when @body is not
 * such a body (it does not decode, or its streams or their numbers of
 * entries are not those of the range). */
int sl_push_decode_range(struct sl_batch *b, size_t first, size_t count, const struct sl_buf *body);

/* sl_push_encoder_encode() with a temporary encoder (allocates; for tests
 * and one-off use). */
int sl_push_encode(const struct sl_batch *batch, struct sl_buf *out);

#endif
