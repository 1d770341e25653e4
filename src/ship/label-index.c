/* label-index.c - see label-index.h. */
#include "ship/label-index.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/xalloc.h"

#define ARENA_CHUNK (4u * 1024u)
#define MIN_SLOTS 16u
#define NO_SET 0u
/* What reset keeps for the next sets; more (a batch with very many
 * streams) is freed, so one such batch does not hold memory for good. */
#define KEEP_SLOTS 1024u
#define KEEP_ARENA (64u * 1024u)

#define K1 UINT64_C(0x9e3779b97f4a7c15)
#define K2 UINT64_C(0xbf58476d1ce4e5b9)
#define K3 UINT64_C(0x94d049bb133111eb)

/* One set added. */
struct set {
        uint64_t hash;         /* sl_label_index_hash() of the set */
        struct sl_kv *pairs;   /* in the arena: the pairs, in the order added */
        size_t n_pairs;        /* pairs in the set */
        uint32_t value;        /* the number it was added with */
};

struct sl_label_index {
        struct sl_arena arena; /* owned: the pairs of the sets */
        struct set *sets;      /* owned array, in order of adding */
        size_t n_sets;         /* sets in use */
        size_t cap_sets;       /* sets allocated */
        uint32_t *slots;       /* owned open-addressing table: 1 + index in
                                * sets, NO_SET when free; a power of two */
        size_t cap_slots;      /* slots allocated (0 before the first add) */
        uint64_t hash_mask;    /* the bits of a hash kept */
        uint32_t recent[SL_LABEL_INDEX_RECENT]; /* 1 + index in sets of the
                                * sets found or added last, the latest
                                * first; NO_SET past the last one */
};

struct sl_label_index *sl_label_index_new(unsigned hash_bits) {
        struct sl_label_index *ix = sl_xnew(struct sl_label_index);

        sl_arena_init(&ix->arena, ARENA_CHUNK);
        ix->hash_mask = hash_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << hash_bits) - 1;
        return ix;
}

void sl_label_index_free(struct sl_label_index *ix) {
        if (!ix)
                return;
        sl_arena_release(&ix->arena);
        free(ix->sets);
        free(ix->slots);
        free(ix);
}

/* ---- hashing ---- */

/* SplitMix64's finalizer: every input bit moves every output bit. */
static inline uint64_t fmix(uint64_t x) {
        x ^= x >> 30;
        x *= K2;
        x ^= x >> 27;
        x *= K3;
        x ^= x >> 31;
        return x;
}

static inline uint64_t load8(const char *p) {
        uint64_t w;

        memcpy(&w, p, 8);
        return w;
}

/* One step of hash_str(): a word into a lane. */
static inline uint64_t mix(uint64_t h, uint64_t w) {
        h = (h ^ w) * K1;
        return (h << 29) | (h >> 35);
}

/* A hash of the bytes of @s continuing @h. Label values such as file paths
 * are long and this runs for every entry, so 16 bytes a step in two
 * independent lanes; a tail shorter than 16 is taken with loads that may
 * overlap bytes already taken. The length goes in first, so neither that
 * nor the zero-padding of a short string can alias. */
static uint64_t hash_str(struct sl_str s, uint64_t h) {
        const char *p = s.ptr, *end = s.ptr + s.len;
        uint64_t a = h ^ ((uint64_t)s.len * K2), b = h + K3;

        if (s.len >= 8) {
                while (end - p > 16) {
                        a = mix(a, load8(p));
                        b = mix(b, load8(p + 8));
                        p += 16;
                }
                if (end - p > 8)
                        a = mix(a, load8(p));
                b = mix(b, load8(end - 8));
        } else {
                uint64_t w = 0;
                for (size_t i = 0; i < s.len; i++)
                        w |= (uint64_t)(unsigned char)p[i] << (8 * i);
                a = mix(a, w);
        }
        return fmix(a ^ ((b << 32) | (b >> 32)) * K2);
}

uint64_t sl_label_index_hash(const struct sl_label_index *ix, const struct sl_kvs *set) {
        uint64_t sum = 0;

        /* Each pair hashed on its own and the results added: the order of
         * the pairs does not matter, and names are unique so no two pairs
         * cancel. */
        for (size_t i = 0; i < set->len; i++)
                sum += hash_str(set->items[i].value, hash_str(set->items[i].name, K3));
        return fmix(sum ^ ((uint64_t)set->len * K1)) & ix->hash_mask;
}

/* ---- the table ---- */

/* The pair of @s named @name, or NULL. */
static const struct sl_kv *pair_named(const struct set *s, struct sl_str name) {
        for (size_t i = 0; i < s->n_pairs; i++)
                if (sl_str_eq(s->pairs[i].name, name))
                        return &s->pairs[i];
        return NULL;
}

/* Whether the values of @a and @b differ at a glance: in length, or in
 * their first or last byte. */
static inline bool value_differs(struct sl_str a, struct sl_str b) {
        return a.len != b.len ||
               (a.len && (a.ptr[0] != b.ptr[0] || a.ptr[a.len - 1] != b.ptr[a.len - 1]));
}

/* Whether @s holds exactly the pairs of @q. Names are unique on both sides,
 * so with as many pairs, every pair of @q found in @s means the same set.
 * The pairs usually come in the same order as when the set was added: each
 * is looked for at its own place first. The recent sets of
 * sl_label_index_find_recent() mostly differ in one value (a `level`):
 * a first pass turns them away on a glance at the values, before any value
 * is compared whole. */
static bool same_set(const struct set *s, const struct sl_kvs *q) {
        if (s->n_pairs != q->len)
                return false;
        /* From the last pair: the one that varies (a `level` set by a
         * stage) comes after the target's own labels. */
        for (size_t i = q->len; i-- > 0;) {
                const struct sl_kv *want = &q->items[i], *have = &s->pairs[i];
                if (value_differs(have->value, want->value) && sl_str_eq(have->name, want->name))
                        return false;
        }
        for (size_t i = 0; i < q->len; i++) {
                const struct sl_kv *want = &q->items[i], *have = &s->pairs[i];
                if (!sl_str_eq(have->name, want->name)) {
                        have = pair_named(s, want->name);
                        if (!have)
                                return false;
                }
                if (!sl_str_eq(have->value, want->value))
                        return false;
        }
        return true;
}

/* Puts the set of slot value @slot (1 + index in sets) first among the
 * recent ones, moving the others down (the last falls out unless it is
 * @slot itself). */
static void note_recent(struct sl_label_index *ix, uint32_t slot) {
        size_t i = 0;

        while (i < SL_LABEL_INDEX_RECENT - 1 && ix->recent[i] != slot)
                i++;
        for (; i > 0; i--)
                ix->recent[i] = ix->recent[i - 1];
        ix->recent[0] = slot;
}

bool sl_label_index_find_recent(struct sl_label_index *ix, const struct sl_kvs *set,
                                uint32_t *ret_value) {
        for (size_t i = 0; i < SL_LABEL_INDEX_RECENT && ix->recent[i] != NO_SET; i++) {
                const struct set *s = &ix->sets[ix->recent[i] - 1];
                if (same_set(s, set)) {
                        if (i > 0)
                                note_recent(ix, ix->recent[i]);
                        *ret_value = s->value;
                        return true;
                }
        }
        return false;
}

bool sl_label_index_find(struct sl_label_index *ix, uint64_t hash, const struct sl_kvs *set,
                         uint32_t *ret_value) {
        size_t mask = ix->cap_slots - 1;

        if (ix->n_sets == 0)
                return false;
        for (size_t i = (size_t)hash & mask; ix->slots[i] != NO_SET; i = (i + 1) & mask) {
                const struct set *s = &ix->sets[ix->slots[i] - 1];
                if (s->hash == hash && same_set(s, set)) {
                        note_recent(ix, ix->slots[i]);
                        *ret_value = s->value;
                        return true;
                }
        }
        return false;
}

/* Puts set number @at (0-based) into a free slot. */
static void slot_put(struct sl_label_index *ix, size_t at) {
        size_t mask = ix->cap_slots - 1, i = (size_t)ix->sets[at].hash & mask;

        while (ix->slots[i] != NO_SET)
                i = (i + 1) & mask;
        ix->slots[i] = (uint32_t)(at + 1);
}

/* Keeps the table at most half full, so probes stay short. */
static void grow_slots(struct sl_label_index *ix) {
        if (ix->cap_slots && (ix->n_sets + 1) * 2 <= ix->cap_slots)
                return;
        free(ix->slots);
        ix->cap_slots = ix->cap_slots ? ix->cap_slots * 2 : MIN_SLOTS;
        ix->slots = sl_xcalloc(ix->cap_slots, sizeof(*ix->slots));
        for (size_t i = 0; i < ix->n_sets; i++)
                slot_put(ix, i);
}

void sl_label_index_add(struct sl_label_index *ix, uint64_t hash, const struct sl_kvs *set,
                        uint32_t value) {
        struct set *s;

        grow_slots(ix);
        sl_xgrow((void **)&ix->sets, sizeof(*ix->sets), &ix->cap_sets, ix->n_sets + 1);
        s = &ix->sets[ix->n_sets];
        *s = (struct set){ .hash = hash, .n_pairs = set->len, .value = value };
        if (set->len) {
                s->pairs = sl_arena_alloc(&ix->arena, set->len * sizeof(*s->pairs));
                for (size_t i = 0; i < set->len; i++) {
                        s->pairs[i].name = sl_arena_strdup(&ix->arena, set->items[i].name);
                        s->pairs[i].value = sl_arena_strdup(&ix->arena, set->items[i].value);
                }
        }
        slot_put(ix, ix->n_sets);
        ix->n_sets++;
        note_recent(ix, (uint32_t)ix->n_sets);
}

size_t sl_label_index_count(const struct sl_label_index *ix) {
        return ix->n_sets;
}

void sl_label_index_reset(struct sl_label_index *ix) {
        if (ix->n_sets == 0)
                return;
        if (ix->cap_slots > KEEP_SLOTS) {
                free(ix->slots);
                free(ix->sets);
                ix->slots = NULL;
                ix->sets = NULL;
                ix->cap_slots = ix->cap_sets = 0;
        } else {
                memset(ix->slots, 0, ix->cap_slots * sizeof(*ix->slots));
        }
        if (ix->arena.used > KEEP_ARENA) {
                sl_arena_release(&ix->arena);
                sl_arena_init(&ix->arena, ARENA_CHUNK);
        } else {
                sl_arena_reset(&ix->arena);
        }
        ix->n_sets = 0;
        memset(ix->recent, 0, sizeof(ix->recent));
}
