/* md5.h - the MD5 digest (RFC 1321), for Prometheus' hashmod relabel action.
 *
 * Not for security: relabeling uses it only to spread targets over shards
 * the way Prometheus does, which needs the same digest bit for bit.
 */
#ifndef SL_BASE_MD5_H
#define SL_BASE_MD5_H

#include <stddef.h>
#include <stdint.h>

#define SL_MD5_SIZE 16

/* Writes the MD5 digest of @len bytes at @data to @out. */
void sl_md5(const void *data, size_t len, uint8_t out[SL_MD5_SIZE]);

#endif
