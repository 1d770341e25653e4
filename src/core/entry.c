/* entry.c - see entry.h. */
#include "core/entry.h"

void sl_entry_init(struct sl_entry *e) {
        e->ts_ns = 0;
        e->line = SL_STR_NULL;
        sl_kvs_init(&e->labels);
        sl_kvs_init(&e->extracted);
        sl_kvs_init(&e->metadata);
        sl_arena_init(&e->arena, 16384);
        e->source_id = 0;
        e->drop_reason = NULL;
}

void sl_entry_release(struct sl_entry *e) {
        sl_kvs_release(&e->labels);
        sl_kvs_release(&e->extracted);
        sl_kvs_release(&e->metadata);
        sl_arena_release(&e->arena);
}

void sl_entry_reset(struct sl_entry *e) {
        e->ts_ns = 0;
        e->line = SL_STR_NULL;
        sl_kvs_clear(&e->labels);
        sl_kvs_clear(&e->extracted);
        sl_kvs_clear(&e->metadata);
        sl_arena_reset(&e->arena);
        e->source_id = 0;
        e->drop_reason = NULL;
}
