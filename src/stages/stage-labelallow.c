/* stage-labelallow.c - the `labelallow` stage: keeps only the stream labels
 * named.
 *
 * Config (as Promtail's): a list of label names (`- labelallow: [app]`).
 * Every other label is removed, but internal ones ("__" names), which are
 * never sent.
 */
#include "core/labels.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

static int labelallow_process(void *userdata, struct sl_entry *e) {
        const struct sl_stage_names *names = userdata;
        size_t kept = 0;

        for (size_t i = 0; i < e->labels.len; i++) {
                struct sl_kv *kv = &e->labels.items[i];
                if (sl_label_name_internal(kv->name) || sl_stage_names_has(names, kv->name))
                        e->labels.items[kept++] = *kv;
        }
        e->labels.len = kept;
        return SL_STAGE_KEEP;
}

static int labelallow_create(const struct sl_yaml_node *node, const char *path,
                             struct sl_cfg_error *err, void **ret_ctx) {
        return sl_stage_names_new(node, path, err, ret_ctx);
}

const struct sl_stage_type sl_stage_labelallow = {
        .name = "labelallow",
        .help = "keep only the stream labels named (a list)",
        .takes_list = true,
        .create = labelallow_create,
        .process = labelallow_process,
        .destroy = sl_stage_names_free,
};
