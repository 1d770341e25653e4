/* entry.c - see entry.h. */
#include "core/entry.h"

void sl_entry_init_sized(struct sl_entry *e, size_t chunk_size) {
        e->ts_ns = 0;
        e->line = SL_STR_NULL;
        sl_kvs_init(&e->labels);
        sl_kvs_init(&e->extracted);
        sl_kvs_init(&e->metadata);
        sl_arena_init(&e->arena, chunk_size);
        e->source_id = 0;
        e->offset = e->end_offset = e->read_ns = 0;
        e->drop_reason = NULL;
}

void sl_entry_init(struct sl_entry *e) {
        sl_entry_init_sized(e, 16384);
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
        e->offset = e->end_offset = e->read_ns = 0;
        e->drop_reason = NULL;
}

static void copy_kvs(struct sl_arena *arena, struct sl_kvs *dst, const struct sl_kvs *src) {
        sl_kvs_copy(dst, src);
        for (size_t i = 0; i < dst->len; i++) {
                dst->items[i].name = sl_arena_strdup(arena, src->items[i].name);
                dst->items[i].value = sl_arena_strdup(arena, src->items[i].value);
        }
}

void sl_entry_copy(struct sl_entry *dst, const struct sl_entry *src) {
        sl_entry_reset(dst);
        dst->ts_ns = src->ts_ns;
        dst->line = src->line.ptr ? sl_arena_strdup(&dst->arena, src->line) : SL_STR_NULL;
        copy_kvs(&dst->arena, &dst->labels, &src->labels);
        copy_kvs(&dst->arena, &dst->extracted, &src->extracted);
        copy_kvs(&dst->arena, &dst->metadata, &src->metadata);
        dst->source_id = src->source_id;
        dst->offset = src->offset;
        dst->end_offset = src->end_offset;
        dst->read_ns = src->read_ns;
        dst->drop_reason = src->drop_reason;
}
