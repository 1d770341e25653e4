/* config-internal.h - the small helpers the readers of the config layer
 * share (config.c, discovery-config.c, keys.c); not for other layers.
 *
 * Error messages name a key by its dotted path ("clients[0].url"), built
 * into a caller's buffer of SL_CFG_KEY_MAX bytes. Nothing here allocates
 * or keeps state.
 */
#ifndef SL_CONFIG_CONFIG_INTERNAL_H
#define SL_CONFIG_CONFIG_INTERNAL_H

#include <stdbool.h>

#include "base/yaml-doc.h"

/* Longest dotted key path built; longer ones are cut in messages. */
#define SL_CFG_KEY_MAX 128

/* Formats a dotted key path into @buf (SL_CFG_KEY_MAX bytes) and returns
 * @buf. */
const char *sl_cfg_kp(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A key that is missing or null (`key:`): it configures nothing. */
static inline bool sl_cfg_absent(const struct sl_yaml_node *node) {
        return !node || node->kind == SL_YAML_NULL;
}

/* Prometheus/Loki label names (Prometheus' legacy rule):
 * [a-zA-Z_][a-zA-Z0-9_]*. (core/labels.h has the same rule, but config
 * links only base.) */
bool sl_cfg_label_name_valid(const char *s);

#endif
