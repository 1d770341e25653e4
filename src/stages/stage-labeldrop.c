/* stage-labeldrop.c - the `labeldrop` stage: removes stream labels by name.
 *
 * Config (as Promtail's): a list of label names (`- labeldrop: [filename]`).
 * A name the entry does not have is ignored.
 */
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

static int labeldrop_process(void *userdata, struct sl_entry *e) {
        const struct sl_stage_names *names = userdata;

        for (size_t i = 0; i < names->n; i++)
                sl_kvs_del(&e->labels, names->slices[i]);
        return SL_STAGE_KEEP;
}

static int labeldrop_create(const struct sl_yaml_node *node, const char *path,
                            struct sl_cfg_error *err, void **ret_ctx) {
        return sl_stage_names_new(node, path, err, ret_ctx);
}

const struct sl_stage_type sl_stage_labeldrop = {
        .name = "labeldrop",
        .help = "remove stream labels by name (a list)",
        .takes_list = true,
        .create = labeldrop_create,
        .process = labeldrop_process,
        .destroy = sl_stage_names_free,
};
