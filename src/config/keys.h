/* keys.h - Promtail's configuration surface, key by key, and what sluice
 * does with each key: the one place that says which Promtail keys sluice
 * implements, accepts without effect, or refuses.
 *
 * Every section of a Promtail 3.x config has a table of struct sl_key_rule
 * (keys.c), taken from Promtail's configuration reference and its source.
 * A section reader in config.c calls sl_keys_check() on its map first:
 *   - a key in no table is unknown: an error with a "did you mean" hint;
 *   - SL_KEY_READ keys are left to the reader (implemented);
 *   - SL_KEY_IGNORE keys are checked for their type and shape as Promtail
 *     would check them, then recorded as one warning each (accepted without
 *     effect: gRPC, HTTP server timeouts, ...);
 *   - SL_KEY_REFUSE keys are an error saying "not supported" that names the
 *     feature and points to the README's "Moving from Promtail" table.
 * SL_KEY_UNWIRED keys are read by the reader with Promtail's meaning, and
 * refused afterwards ("not supported yet") by sl_keys_refuse_unwired(): the
 * feature is parsed but not used yet.
 * A rule with @when applies only when that boolean (the value itself, or
 * its map's @when_key) has that value; otherwise the key is accepted
 * silently (`tracing: {enabled: false}`, `decompression: {enabled: false}`).
 * A REFUSE or IGNORE key whose value is null or an empty map or sequence
 * (`relabel_configs: []`) configures nothing and is accepted silently.
 *
 * To turn a feature on (file_sd_configs, ...): set its rule to SL_KEY_READ
 * in keys.c, read it in the section reader (config.c, discovery-config.c),
 * and move its README row to "supported".
 *
 * Threading: the tables are const; the functions keep no state.
 */
#ifndef SL_CONFIG_KEYS_H
#define SL_CONFIG_KEYS_H

#include "base/yaml-doc.h"
#include "config/config.h"

enum sl_key_fate {
        SL_KEY_READ,    /* implemented: the section reader reads it */
        SL_KEY_IGNORE,  /* accepted, one warning: it has no meaning for sluice */
        SL_KEY_REFUSE,  /* refused: "not supported" (a feature sluice lacks) */
        SL_KEY_UNWIRED, /* read with Promtail's meaning, then refused: "not supported yet" */
};

/* What an IGNORE key's value must be (READ keys are checked by their reader). */
enum sl_key_type {
        SL_KEY_ANY,        /* not checked */
        SL_KEY_STRING,     /* a scalar */
        SL_KEY_BOOL,       /* true/false */
        SL_KEY_INT,        /* a decimal integer */
        SL_KEY_DURATION,   /* Go's duration: 500ms, 5m */
        SL_KEY_MAP,        /* a map; its keys checked against @keys when given */
        SL_KEY_SEQ,        /* a sequence */
        SL_KEY_STRINGS,    /* a sequence of scalars */
};

struct sl_key_rule {
        const char *name;               /* the key as Promtail spells it; NULL ends a table */
        enum sl_key_fate fate;
        enum sl_key_type type;          /* checked for IGNORE keys and for @keys' entries */
        const struct sl_key_rule *keys; /* MAP: its keys (their types are checked, their
                                         * fates not applied: the rule speaks for them) */
        const char *when_key;           /* NULL: @when tests the value itself */
        const char *when;               /* NULL: always; "true"/"false": only then */
        const char *what;               /* IGNORE: why it has no effect; REFUSE, UNWIRED:
                                         * the feature, as the message names it */
        const char *hint;               /* REFUSE: what to do instead; may be NULL */
        bool yet;                       /* REFUSE: planned, the message says "not
                                         * supported yet" */
};

/* Promtail's sections. */
extern const struct sl_key_rule sl_keys_top[];
extern const struct sl_key_rule sl_keys_global[];
extern const struct sl_key_rule sl_keys_file_watch[];
extern const struct sl_key_rule sl_keys_server[];
extern const struct sl_key_rule sl_keys_positions[];
/* loki_push_api (and sluice's otlp_logs) and its server block; a table
 * whose terminator has @keys goes on with that table. */
extern const struct sl_key_rule sl_keys_push_target[];
extern const struct sl_key_rule sl_keys_push_server[];
extern const struct sl_key_rule sl_keys_client[];
extern const struct sl_key_rule sl_keys_backoff[];
extern const struct sl_key_rule sl_keys_basic_auth[];
extern const struct sl_key_rule sl_keys_authorization[];
extern const struct sl_key_rule sl_keys_tls[];
extern const struct sl_key_rule sl_keys_scrape[];
extern const struct sl_key_rule sl_keys_static_config[];
extern const struct sl_key_rule sl_keys_target[];
extern const struct sl_key_rule sl_keys_limits[];
extern const struct sl_key_rule sl_keys_options[];
/* Discovery (config/discovery-config.c). */
extern const struct sl_key_rule sl_keys_relabel[];
extern const struct sl_key_rule sl_keys_sd_tls[];
extern const struct sl_key_rule sl_keys_docker_sd[];
extern const struct sl_key_rule sl_keys_docker_filter[];
extern const struct sl_key_rule sl_keys_kube_sd[];
extern const struct sl_key_rule sl_keys_kube_namespaces[];
extern const struct sl_key_rule sl_keys_kube_selector[];
extern const struct sl_key_rule sl_keys_kube_attach[];

/* Where refusals send the reader. */
#define SL_KEYS_SEE_README "see \"Moving from Promtail\" in sluice's README"

/* Checks the map @node (NULL or null passes) at dotted @path (NULL: the top
 * level) against @rules: unknown keys, IGNORE keys' types (appending one
 * warning per key to @c; NULL when @rules has no IGNORE key), REFUSE keys.
 * Returns 0, or -EINVAL with @err naming the first offending key. */
int sl_keys_check(const struct sl_yaml_node *node, const char *path,
                  const struct sl_key_rule *rules, struct sl_config *c,
                  struct sl_cfg_error *err);

/* Fails with "not supported yet" on the first UNWIRED key of @rules present
 * in @node with a value; 0 when there is none. */
int sl_keys_refuse_unwired(const struct sl_yaml_node *node, const char *path,
                           const struct sl_key_rule *rules, struct sl_cfg_error *err);

/* Appends a warning about @node at @key to @c. */
void sl_config_warn(struct sl_config *c, const struct sl_yaml_node *node, const char *key,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
