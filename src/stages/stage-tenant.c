/* stage-tenant.c - the `tenant` stage: sets the tenant (Loki's
 * X-Scope-OrgID) of the entry.
 *
 * Keys (Promtail's, exactly one of them): `source` (an extracted value),
 * `label` (a label of the entry) or `value` (a fixed tenant). The tenant
 * goes into the reserved label "__tenant_id__" (SL_TENANT_LABEL), as in
 * Promtail: internal labels are not sent; the batcher gives each tenant
 * streams of its own and the client pushes each tenant's streams in
 * requests of their own with its X-Scope-OrgID (over the client's
 * tenant_id). A source or label that is missing or empty leaves the tenant
 * as it was.
 *
 * Difference: extracted values are text in sluice, so a JSON array or
 * object taken by the json stage is a tenant ("[\"a\"]") where Promtail,
 * which cannot make a string of it, sets none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/xalloc.h"
#include "core/labels.h"
#include "stages/stage-registry.h"
#include "stages/stage-util.h"

enum tenant_from { FROM_SOURCE, FROM_LABEL, FROM_VALUE };

struct tenant_ctx {
        enum tenant_from from;
        char *name;          /* owned: the source, label or value */
        struct sl_str name_s;
};

static int tenant_process(void *userdata, struct sl_entry *e) {
        struct tenant_ctx *ctx = userdata;
        const struct sl_str *v;
        struct sl_str tenant;

        switch (ctx->from) {
        case FROM_SOURCE:
                v = sl_kvs_get(&e->extracted, ctx->name_s);
                tenant = v ? *v : SL_STR_NULL;
                break;
        case FROM_LABEL:
                v = sl_kvs_get(&e->labels, ctx->name_s);
                tenant = v ? *v : SL_STR_NULL;
                break;
        default:
                tenant = ctx->name_s;
                break;
        }
        if (tenant.len)
                sl_kvs_set(&e->labels, SL_STR_LIT(SL_TENANT_LABEL), tenant);
        return SL_STAGE_KEEP;
}

static void tenant_destroy(void *userdata) {
        struct tenant_ctx *ctx = userdata;

        if (!ctx)
                return;
        free(ctx->name);
        free(ctx);
}

static void free_all(char **got) {
        for (int i = 0; i < 3; i++)
                free(got[i]);
}

static int tenant_create(const struct sl_yaml_node *node, const char *path,
                         struct sl_cfg_error *err, void **ret_ctx) {
        static const char *const keys[] = { "source", "label", "value" };
        char *got[3] = { NULL, NULL, NULL };
        struct tenant_ctx *ctx;
        int n = 0, which = 0, r;

        for (int i = 0; i < 3; i++) {
                r = sl_stage_get_string(node, path, keys[i], &got[i], err);
                if (r < 0) {
                        free_all(got);
                        return r;
                }
                if (got[i]) {
                        n++;
                        which = i;
                }
        }
        if (n != 1) {
                free_all(got);
                return sl_cfg_error_set(err, node, path,
                                        n == 0 ? "label, source or value config are required"
                                               : "label, source and value are mutually exclusive: you should set source, value or label but not all");
        }
        ctx = sl_xnew(struct tenant_ctx);
        ctx->from = which == 0 ? FROM_SOURCE : which == 1 ? FROM_LABEL : FROM_VALUE;
        ctx->name = got[which];
        ctx->name_s = sl_str_c(ctx->name);
        *ret_ctx = ctx;
        return 0;
}

static const char *const tenant_keys[] = { "source", "label", "value", NULL };

const struct sl_stage_type sl_stage_tenant = {
        .name = "tenant",
        .help = "set the entry's tenant (X-Scope-OrgID) from an extracted value, a label or a fixed value",
        .keys = tenant_keys,
        .create = tenant_create,
        .process = tenant_process,
        .destroy = tenant_destroy,
};
