/* test-batcher.c - streams, sorting, sealing rules, marks, labels and line
 * limits of the batcher (and the batch it hands out). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time-util.h"
#include "core/entry.h"
#include "core/labels.h"
#include "ship/batcher.h"
#include "sl-test.h"

/* Fills @e: @labels is name, value, ..., NULL. */
static void entry_fill(struct sl_entry *e, int64_t ts, const char *line, const char *const *labels) {
        sl_entry_reset(e);
        e->ts_ns = ts;
        e->line = sl_str_c(line);
        for (size_t i = 0; labels && labels[i]; i += 2)
                sl_kvs_set(&e->labels, sl_str_c(labels[i]), sl_str_c(labels[i + 1]));
}

static struct sl_batcher *new_batcher(uint64_t batchsize, uint64_t wait_ns) {
        struct sl_batcher_options o = { .batchsize = batchsize, .batchwait_ns = wait_ns };
        return sl_batcher_new(&o);
}

/* Invariants every sealed batch keeps. */
static void check_sealed(const struct sl_batch *b) {
        size_t n_streams, total = 0;
        const struct sl_batch_stream *s = sl_batch_streams(b, &n_streams);
        uint64_t bytes = 0;

        ck_assert(sl_batch_sealed(b));
        for (size_t i = 0; i < n_streams; i++) {
                bytes += s[i].labels.len;
                ck_assert_uint_eq(s[i].labels.ptr[s[i].labels.len], '\0');
                for (size_t j = 0; j < s[i].n_entries; j++) {
                        const struct sl_batch_entry *e = &s[i].entries[j];
                        ck_assert_uint_eq(e->stream, i);
                        ck_assert_int_ne(e->ts_ns, 0);
                        if (j)
                                ck_assert_int_le(s[i].entries[j - 1].ts_ns, e->ts_ns);
                        bytes += e->line.len;
                        for (uint32_t k = 0; k < e->n_metadata; k++)
                                bytes += e->metadata[k].name.len + e->metadata[k].value.len;
                }
                total += s[i].n_entries;
        }
        ck_assert_uint_eq(total, sl_batch_entries(b));
        ck_assert_uint_eq(bytes, sl_batch_bytes(b));
}

START_TEST(test_streams_by_label_set) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, SL_NSEC_PER_SEC);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *ab[] = { "a", "1", "b", "2", NULL }, *ba[] = { "b", "2", "a", "1", NULL };
        const char *a[] = { "a", "1", NULL };
        const struct sl_batch_stream *s;
        struct sl_entry e;
        size_t n;

        sl_entry_init(&e);
        entry_fill(&e, 1, "one", ab);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 100), 0);
        entry_fill(&e, 2, "two", a);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 100), 0);
        entry_fill(&e, 3, "three", ba);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 100), 0);
        sl_entry_release(&e);

        b = sl_batcher_take(bt, 100, true);
        ck_assert_ptr_nonnull(b);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(s[0].labels.ptr, "{a=\"1\", b=\"2\"}");
        ck_assert_uint_eq(s[0].n_entries, 2);
        ck_assert_str_eq(s[0].entries[0].line.ptr, "one");
        ck_assert_str_eq(s[0].entries[1].line.ptr, "three");
        ck_assert_str_eq(s[1].labels.ptr, "{a=\"1\"}");
        ck_assert_uint_eq(s[1].n_entries, 1);
        ck_assert_str_eq(s[1].entries[0].line.ptr, "two");
        ck_assert_uint_eq(sl_batch_entries(b), 3);
        ck_assert_uint_eq(sl_batcher_stats(bt)->entries_added, 3);
}
END_TEST

START_TEST(test_sorted_by_time_stable) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, SL_NSEC_PER_SEC);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *lbl[] = { "job", "x", NULL };
        const struct { int64_t ts; const char *line; } in[] = {
                { 30, "c" }, { 10, "a1" }, { 20, "b" }, { 10, "a2" }, { 5, "z" },
        };
        const char *want[] = { "z", "a1", "a2", "b", "c" };
        const struct sl_batch_stream *s;
        struct sl_entry e;
        size_t n;

        sl_entry_init(&e);
        for (size_t i = 0; i < SL_ARRAY_SIZE(in); i++) {
                entry_fill(&e, in[i].ts, in[i].line, lbl);
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        }
        sl_entry_release(&e);
        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(s[0].n_entries, SL_ARRAY_SIZE(want));
        for (size_t i = 0; i < SL_ARRAY_SIZE(want); i++)
                ck_assert_str_eq(s[0].entries[i].line.ptr, want[i]);
}
END_TEST

/* Many entries over interleaved streams, timestamps from a small range so
 * ties are frequent: each stream ends sorted, ties in arrival order. */
START_TEST(test_sort_many_interleaved) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(UINT64_MAX, SL_NSEC_PER_SEC);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *names[] = { "s0", "s1", "s2" };
        const struct sl_batch_stream *s;
        uint64_t rng = 88172645463325252ULL;
        struct sl_entry e;
        char line[32];
        size_t n;

        sl_entry_init(&e);
        for (int i = 0; i < 3000; i++) {
                const char *lbl[] = { "stream", names[i % 3], NULL };
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                snprintf(line, sizeof(line), "%06d", i);
                entry_fill(&e, 1 + (int64_t)(rng % 50), line, lbl);
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        }
        sl_entry_release(&e);
        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 3);
        for (size_t i = 0; i < n; i++) {
                ck_assert_uint_eq(s[i].n_entries, 1000);
                for (size_t j = 1; j < s[i].n_entries; j++) {
                        const struct sl_batch_entry *p = &s[i].entries[j - 1], *q = &s[i].entries[j];
                        /* Lines are arrival numbers: same stream by construction. */
                        ck_assert_uint_eq((size_t)atoi(q->line.ptr) % 3, i);
                        if (p->ts_ns == q->ts_ns)
                                ck_assert_int_lt(atoi(p->line.ptr), atoi(q->line.ptr));
                }
        }
}
END_TEST

START_TEST(test_size_threshold) {
        /* {a="1"} is 7 bytes, counted once; each line 10 bytes. */
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(30, SL_NSEC_PER_SEC);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *a[] = { "a", "1", NULL };
        struct sl_entry e;

        sl_entry_init(&e);
        entry_fill(&e, 1, "0123456789", a);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        ck_assert_uint_eq(sl_batcher_held_bytes(bt), 17);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        ck_assert_uint_eq(sl_batcher_held_bytes(bt), 27);
        ck_assert_ptr_null(sl_batcher_take(bt, 0, false));
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 1);
        ck_assert_uint_eq(sl_batcher_held_bytes(bt), 37);
        sl_entry_release(&e);

        /* Full: taken without force, long before the deadline. */
        b = sl_batcher_take(bt, 1, false);
        ck_assert_ptr_nonnull(b);
        ck_assert_uint_eq(sl_batch_entries(b), 3);
        ck_assert_uint_eq(sl_batch_bytes(b), 37);
        ck_assert_uint_eq(sl_batcher_held_bytes(bt), 0);
        ck_assert_ptr_null(sl_batcher_take(bt, 1, true));
}
END_TEST

START_TEST(test_deadline) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, 1000);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *a[] = { "a", "1", NULL };
        struct sl_mark m = { .source_id = 1, .offset = 10 };
        struct sl_entry e;

        ck_assert_uint_eq(sl_batcher_deadline(bt), UINT64_MAX);
        ck_assert_ptr_null(sl_batcher_take(bt, UINT64_MAX - 1, false));

        /* The first entry opens the batch; later ones do not move the deadline. */
        sl_entry_init(&e);
        entry_fill(&e, 1, "x", a);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 500), 0);
        ck_assert_uint_eq(sl_batcher_deadline(bt), 1500);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 900), 0);
        sl_batcher_mark(bt, &m, 1000);
        ck_assert_uint_eq(sl_batcher_deadline(bt), 1500);
        sl_entry_release(&e);

        ck_assert_ptr_null(sl_batcher_take(bt, 1499, false));
        b = sl_batcher_take(bt, 1500, false);
        ck_assert_ptr_nonnull(b);
        ck_assert_uint_eq(sl_batch_entries(b), 2);
        ck_assert_uint_eq(sl_batcher_deadline(bt), UINT64_MAX);
        ck_assert_uint_eq(sl_batcher_stats(bt)->batches_sealed, 1);
}
END_TEST

START_TEST(test_force) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, 1000);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *a[] = { "a", "1", NULL };
        struct sl_entry e;

        ck_assert_ptr_null(sl_batcher_take(bt, 0, true));
        sl_entry_init(&e);
        entry_fill(&e, 1, "x", a);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        sl_entry_release(&e);
        ck_assert_ptr_null(sl_batcher_take(bt, 10, false));
        b = sl_batcher_take(bt, 10, true);
        ck_assert_ptr_nonnull(b);
        check_sealed(b);
        ck_assert_uint_eq(sl_batch_entries(b), 1);
        ck_assert_ptr_null(sl_batcher_take(bt, 10, true));
}
END_TEST

START_TEST(test_marks_only_batch) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, 1000);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        struct sl_mark m1 = { .source_id = 7, .dev = 1, .ino = 2, .offset = 100 };
        const struct sl_mark *marks;
        size_t n;

        sl_batcher_mark(bt, &m1, 50);
        ck_assert_uint_eq(sl_batcher_deadline(bt), 1050);
        ck_assert_uint_eq(sl_batcher_held_bytes(bt), 0);
        ck_assert_ptr_null(sl_batcher_take(bt, 1049, false));
        b = sl_batcher_take(bt, 1050, false);
        ck_assert_ptr_nonnull(b);
        check_sealed(b);
        ck_assert_uint_eq(sl_batch_entries(b), 0);
        sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 0);
        marks = sl_batch_marks(b, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(marks[0].source_id, 7);
        ck_assert_uint_eq(marks[0].dev, 1);
        ck_assert_uint_eq(marks[0].ino, 2);
        ck_assert_uint_eq(marks[0].offset, 100);
}
END_TEST

START_TEST(test_marks_last_per_source) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, 1000);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const struct { uint64_t src, ino, off; } in[] = {
                /* Runs of one source, as a file's lines come, and
                 * sources in turn. */
                { 1, 10, 10 }, { 1, 10, 11 }, { 2, 20, 5 }, { 1, 10, 30 }, { UINT64_MAX, 90, 1 },
                { UINT64_MAX, 90, 0 }, { 3, 30, 6 }, { 3, 30, 7 }, { 2, 21, 8 },
                { UINT64_MAX, 90, 2 }, { 1, 10, 31 },
        };
        const struct { uint64_t src, ino, off; } want[] = {
                { 1, 10, 31 }, { 2, 21, 8 }, { UINT64_MAX, 90, 2 }, { 3, 30, 7 },
        };
        const struct sl_mark *marks;
        size_t n;

        for (size_t i = 0; i < SL_ARRAY_SIZE(in); i++) {
                struct sl_mark m = { .source_id = in[i].src, .ino = in[i].ino, .offset = in[i].off };
                sl_batcher_mark(bt, &m, i);
        }
        b = sl_batcher_take(bt, 0, true);
        marks = sl_batch_marks(b, &n);
        ck_assert_uint_eq(n, SL_ARRAY_SIZE(want));
        for (size_t i = 0; i < n; i++) {
                ck_assert_uint_eq(marks[i].source_id, want[i].src);
                ck_assert_uint_eq(marks[i].ino, want[i].ino);
                ck_assert_uint_eq(marks[i].offset, want[i].off);
        }
}
END_TEST

START_TEST(test_external_labels) {
        struct sl_kvs ext;
        struct sl_batcher_options o = { .batchsize = 1 << 20, .batchwait_ns = 1000, .external_labels = &ext };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = NULL;
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *api[] = { "job", "api", "__path__", "/x", NULL };
        char name[8] = "env", value[8] = "prod";
        const struct sl_batch_stream *s;
        struct sl_entry e;
        size_t n;

        sl_kvs_init(&ext);
        sl_kvs_set(&ext, sl_str_c(name), sl_str_c(value));
        sl_kvs_set(&ext, SL_STR_LIT("job"), SL_STR_LIT("ext"));
        bt = sl_batcher_new(&o);
        /* The batcher copied them: changing or freeing the source is harmless. */
        strcpy(value, "XXXX");
        strcpy(name, "YYY");
        sl_kvs_release(&ext);

        sl_entry_init(&e);
        entry_fill(&e, 1, "entry labels win", api);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 2, "external only", NULL);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        sl_entry_release(&e);

        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(s[0].labels.ptr, "{env=\"prod\", job=\"api\"}");
        ck_assert_str_eq(s[1].labels.ptr, "{env=\"prod\", job=\"ext\"}");
}
END_TEST

START_TEST(test_no_labels_refused) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, 1000);
        const char *internal[] = { "__path__", "/var/log/x", "empty", "", NULL };
        struct sl_entry e;

        sl_entry_init(&e);
        entry_fill(&e, 1, "x", NULL);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), -EINVAL);
        entry_fill(&e, 1, "x", internal);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), -EINVAL);
        sl_entry_release(&e);
        ck_assert_uint_eq(sl_batcher_stats(bt)->entries_dropped_no_labels, 2);
        ck_assert_uint_eq(sl_batcher_stats(bt)->entries_added, 0);
        /* Nothing was opened. */
        ck_assert_uint_eq(sl_batcher_deadline(bt), UINT64_MAX);
        ck_assert_ptr_null(sl_batcher_take(bt, 0, true));
}
END_TEST

START_TEST(test_max_line_size) {
        static const struct {
                const char *line;
                uint64_t max;
                bool truncate;
                int ret;
                const char *kept; /* NULL: dropped */
        } cases[] = {
                { "hello world", 5, true, 0, "hello" },
                { "hello", 5, true, 0, "hello" },
                { "hello", 0, false, 0, "hello" },
                { "hello world", 5, false, -E2BIG, NULL },
                { "h\xc3\xa9llo", 2, true, 0, "h" },         /* é not split */
                { "h\xc3\xa9llo", 3, true, 0, "h\xc3\xa9" },
                { "\xe2\x82\xac\xe2\x82\xac", 5, true, 0, "\xe2\x82\xac" }, /* € */
                { "\xf0\x9f\x98\x80!", 3, true, 0, "" },      /* 4-byte emoji */
                { "\x80\x80\x80\x80\x80\x80", 4, true, 0, "\x80\x80\x80\x80" }, /* not UTF-8 */
        };

        for (size_t i = 0; i < SL_ARRAY_SIZE(cases); i++) {
                struct sl_batcher_options o = { .batchsize = 1 << 20, .batchwait_ns = 1000,
                                                .max_line_size = cases[i].max,
                                                .truncate = cases[i].truncate };
                _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
                _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
                const char *a[] = { "a", "1", NULL };
                const struct sl_batch_stream *s;
                const struct sl_batcher_stats *st = sl_batcher_stats(bt);
                bool cut = cases[i].kept && strlen(cases[i].kept) < strlen(cases[i].line);
                struct sl_entry e;
                size_t n;

                sl_entry_init(&e);
                entry_fill(&e, 1, cases[i].line, a);
                ck_assert_msg(sl_batcher_add(bt, &e, 0) == cases[i].ret, "case %zu", i);
                sl_entry_release(&e);
                ck_assert_uint_eq(st->entries_truncated, cut ? 1 : 0);
                ck_assert_uint_eq(st->entries_dropped_too_long, cases[i].kept ? 0 : 1);
                ck_assert_uint_eq(st->entries_added, cases[i].kept ? 1 : 0);
                b = sl_batcher_take(bt, 0, true);
                if (!cases[i].kept) {
                        ck_assert_ptr_null(b);
                        continue;
                }
                s = sl_batch_streams(b, &n);
                ck_assert_uint_eq(n, 1);
                ck_assert_msg(sl_str_eq_c(s[0].entries[0].line, cases[i].kept), "case %zu", i);
        }
}
END_TEST

START_TEST(test_copies_and_now) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, 1000);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        char line[] = "original line", label[] = "v1", mk[] = "trace_id", mv[] = "abc";
        const struct sl_batch_stream *s;
        const struct sl_batch_entry *be;
        int64_t before, after;
        struct sl_entry e;
        size_t n;

        sl_entry_init(&e);
        e.line = sl_str_c(line);
        sl_kvs_set(&e.labels, SL_STR_LIT("job"), sl_str_c(label));
        sl_kvs_set(&e.metadata, sl_str_c(mk), sl_str_c(mv));
        before = sl_wall_ns();
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        after = sl_wall_ns();
        /* The caller reuses its buffers: the batch must not see it. */
        memset(line, 'X', sizeof(line) - 1);
        memset(label, 'X', sizeof(label) - 1);
        memset(mk, 'X', sizeof(mk) - 1);
        memset(mv, 'X', sizeof(mv) - 1);
        sl_entry_release(&e);

        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(s[0].labels.ptr, "{job=\"v1\"}");
        be = &s[0].entries[0];
        ck_assert_str_eq(be->line.ptr, "original line");
        ck_assert_int_ge(be->ts_ns, before);
        ck_assert_int_le(be->ts_ns, after);
        ck_assert_uint_eq(be->n_metadata, 1);
        ck_assert(sl_str_eq_c(be->metadata[0].name, "trace_id"));
        ck_assert(sl_str_eq_c(be->metadata[0].value, "abc"));
        ck_assert_uint_eq(sl_batch_bytes(b), strlen("{job=\"v1\"}") + 13 + 8 + 3);
}
END_TEST

/* oldest_ns: since when the open batch holds an entry; the batch keeps its
 * creation time (its first line read, entry or mark) once taken. */
START_TEST(test_oldest_ns) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, 1000);
        _cleanup_(sl_batch_freep) struct sl_batch *b1 = NULL, *b2 = NULL, *b3 = NULL;
        const char *a[] = { "a", "1", NULL };
        struct sl_mark m = { .source_id = 1, .offset = 10 };
        struct sl_entry e;

        sl_entry_init(&e);
        entry_fill(&e, 1, "x", a);
        ck_assert_uint_eq(sl_batcher_oldest_ns(bt), UINT64_MAX);

        /* A mark alone: no entry waits. */
        sl_batcher_mark(bt, &m, 100);
        ck_assert_uint_eq(sl_batcher_oldest_ns(bt), UINT64_MAX);
        /* An entry joins the batch the mark opened: the age counts from the
         * mark, whose position is not acknowledged either. */
        ck_assert_int_eq(sl_batcher_add(bt, &e, 250), 0);
        ck_assert_uint_eq(sl_batcher_oldest_ns(bt), 100);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 400), 0);
        ck_assert_uint_eq(sl_batcher_oldest_ns(bt), 100);
        b1 = sl_batcher_take(bt, 500, true);
        ck_assert_ptr_nonnull(b1);
        ck_assert_uint_eq(sl_batch_created_ns(b1), 100);
        ck_assert_uint_eq(sl_batch_oldest_ns(b1), 100);
        ck_assert_uint_eq(sl_batcher_oldest_ns(bt), UINT64_MAX);

        /* A batch opened by an entry. */
        ck_assert_int_eq(sl_batcher_add(bt, &e, 700), 0);
        ck_assert_uint_eq(sl_batcher_oldest_ns(bt), 700);
        b2 = sl_batcher_take(bt, 1700, false);
        ck_assert_ptr_nonnull(b2);
        ck_assert_uint_eq(sl_batch_oldest_ns(b2), 700);

        /* A batch of marks only keeps its creation time but no oldest entry. */
        sl_batcher_mark(bt, &m, 2000);
        b3 = sl_batcher_take(bt, 2000, true);
        ck_assert_ptr_nonnull(b3);
        ck_assert_uint_eq(sl_batch_created_ns(b3), 2000);
        ck_assert_uint_eq(sl_batch_oldest_ns(b3), UINT64_MAX);

        /* An entry refused by the batcher opens nothing. */
        sl_entry_reset(&e);
        e.line = SL_STR_LIT("no labels");
        ck_assert_int_eq(sl_batcher_add(bt, &e, 3000), -EINVAL);
        ck_assert_uint_eq(sl_batcher_oldest_ns(bt), UINT64_MAX);
        sl_entry_release(&e);
}
END_TEST

/* Stream numbers belong to one batch: a set seen in the last batch gets a
 * stream of its own in the next, in order of first appearance there. */
START_TEST(test_streams_across_batches) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, SL_NSEC_PER_SEC);
        const char *a[] = { "job", "a", NULL }, *b[] = { "job", "b", NULL };
        const struct { const char *const *labels; const char *line; } rounds[2][3] = {
                { { a, "a1" }, { b, "b1" }, { a, "a2" } },
                { { b, "b3" }, { b, "b4" }, { a, "a5" } },
        };
        const char *want[2][2] = { { "{job=\"a\"}", "{job=\"b\"}" }, { "{job=\"b\"}", "{job=\"a\"}" } };
        const char *want_lines[2][2][2] = { { { "a1", "a2" }, { "b1", NULL } },
                                            { { "b3", "b4" }, { "a5", NULL } } };
        struct sl_entry e;

        sl_entry_init(&e);
        for (size_t r = 0; r < 2; r++) {
                _cleanup_(sl_batch_freep) struct sl_batch *batch = NULL;
                const struct sl_batch_stream *s;
                size_t n;

                for (size_t i = 0; i < 3; i++) {
                        entry_fill(&e, (int64_t)(i + 1), rounds[r][i].line, rounds[r][i].labels);
                        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
                }
                batch = sl_batcher_take(bt, 0, true);
                check_sealed(batch);
                s = sl_batch_streams(batch, &n);
                ck_assert_uint_eq(n, 2);
                for (size_t i = 0; i < 2; i++) {
                        ck_assert_str_eq(s[i].labels.ptr, want[r][i]);
                        for (size_t j = 0; j < 2 && want_lines[r][i][j]; j++)
                                ck_assert_str_eq(s[i].entries[j].line.ptr, want_lines[r][i][j]);
                }
        }
        sl_entry_release(&e);
}
END_TEST

/* Values alike but for their last bytes, after a long common prefix. */
START_TEST(test_long_values_differing_at_the_end) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, SL_NSEC_PER_SEC);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        char v1[200], v2[200], v3[200];
        const char *l1[] = { "filename", v1, "job", "x", NULL };
        const char *l2[] = { "filename", v2, "job", "x", NULL };
        const char *l3[] = { "job", "x", "filename", v3, NULL };
        const struct sl_batch_stream *s;
        struct sl_entry e;
        size_t n;

        memset(v1, 'p', sizeof(v1) - 1);
        v1[sizeof(v1) - 1] = '\0';
        memcpy(v2, v1, sizeof(v1));
        memcpy(v3, v1, sizeof(v1));
        v2[sizeof(v2) - 2] = 'q';
        sl_entry_init(&e);
        entry_fill(&e, 1, "1", l1);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 2, "2", l2);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 3, "3", l3); /* the same as l1, in another order */
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        sl_entry_release(&e);
        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(s[0].n_entries, 2);
        ck_assert_str_eq(s[0].entries[1].line.ptr, "3");
        ck_assert_uint_eq(s[1].n_entries, 1);
        ck_assert_ptr_nonnull(strstr(s[1].labels.ptr, "pq\""));
}
END_TEST

/* Labels Loki does not get never tell streams apart: internal names,
 * invalid names, empty values (an empty entry value also hides an external
 * label of that name), and labels past the 64 that are rendered. */
START_TEST(test_unsent_labels_share_a_stream) {
        struct sl_kvs ext;
        struct sl_batcher_options o = { .batchsize = 1 << 20, .batchwait_ns = 1000,
                                        .external_labels = &ext };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = NULL;
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *plain[] = { "job", "x", NULL };
        const char *internal[] = { "job", "x", "__path__", "/a", NULL };
        const char *internal2[] = { "__path__", "/b", "job", "x", "bad-name", "1", NULL };
        const char *invalid[] = { "9lives", "1", "job", "x", "empty", "", NULL };
        const char *hide_env[] = { "job", "x", "env", "", NULL };
        const struct sl_batch_stream *s;
        char names[70][8], values[70][8];
        struct sl_entry e;
        size_t n;

        sl_kvs_init(&ext);
        sl_kvs_set(&ext, SL_STR_LIT("env"), SL_STR_LIT("prod"));
        bt = sl_batcher_new(&o);
        sl_kvs_release(&ext);

        sl_entry_init(&e);
        entry_fill(&e, 1, "plain", plain);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 2, "internal", internal);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 3, "internal2", internal2);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 4, "invalid", invalid);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 5, "hide_env", hide_env);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        /* 69 labels after env: l00..l68; only env and l00..l62 are rendered,
         * so l63..l68 do not count. */
        for (size_t round = 0; round < 3; round++) {
                sl_entry_reset(&e);
                e.ts_ns = (int64_t)(6 + round);
                e.line = round == 0 ? SL_STR_LIT("many0") : round == 1 ? SL_STR_LIT("many1")
                                                                      : SL_STR_LIT("many2");
                for (size_t i = 0; i < 69; i++) {
                        snprintf(names[i], sizeof(names[i]), "l%02zu", i);
                        snprintf(values[i], sizeof(values[i]), "v%zu", i);
                        if (round == 1 && i == 68)
                                snprintf(values[i], sizeof(values[i]), "other");
                        if (round == 2 && i == 62)
                                snprintf(values[i], sizeof(values[i]), "other");
                        sl_kvs_set(&e.labels, sl_str_c(names[i]), sl_str_c(values[i]));
                }
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        }
        sl_entry_release(&e);

        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 4);
        ck_assert_str_eq(s[0].labels.ptr, "{env=\"prod\", job=\"x\"}");
        ck_assert_uint_eq(s[0].n_entries, 4);
        ck_assert_str_eq(s[0].entries[3].line.ptr, "invalid");
        ck_assert_str_eq(s[1].labels.ptr, "{job=\"x\"}");
        ck_assert_uint_eq(s[1].n_entries, 1);
        ck_assert_uint_eq(s[2].n_entries, 2);
        ck_assert_str_eq(s[2].entries[0].line.ptr, "many0");
        ck_assert_str_eq(s[2].entries[1].line.ptr, "many1");
        ck_assert_ptr_nonnull(strstr(s[2].labels.ptr, "l62=\"v62\"}"));
        ck_assert_ptr_null(strstr(s[2].labels.ptr, "l63"));
        ck_assert_uint_eq(s[3].n_entries, 1);
        ck_assert_ptr_nonnull(strstr(s[3].labels.ptr, "l62=\"other\"}"));
}
END_TEST

/* Random label sets against the definition: an entry's stream is the text
 * sl_labels_render() makes of its labels set over the external ones, and
 * each text is one stream. */
START_TEST(test_streams_match_rendering) {
        static const char *const names[] = { "job", "level", "stream", "env", "__path__", "a-b",
                                             "filename" };
        static const char *const values[] = { "info", "warn", "", "x\"y", "prod",
                                              "/var/log/containers/a-json.log",
                                              "/var/log/containers/b-json.log" };
        struct sl_kvs ext, merged;
        struct sl_batcher_options o = { .batchsize = 1 << 20, .batchwait_ns = 1000,
                                        .external_labels = &ext };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = NULL;
        uint64_t rng = 0x9e3779b97f4a7c15ULL;
        static char want[400][512];
        struct sl_buf out;
        struct sl_entry e;

        sl_kvs_init(&ext);
        sl_kvs_init(&merged);
        sl_buf_init(&out, 1 << 16);
        sl_kvs_set(&ext, SL_STR_LIT("env"), SL_STR_LIT("prod"));
        sl_kvs_set(&ext, SL_STR_LIT("cluster"), SL_STR_LIT("eu"));
        bt = sl_batcher_new(&o);
        sl_entry_init(&e);
        for (int batch_no = 0; batch_no < 4; batch_no++) {
                _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
                const struct sl_batch_stream *s;
                size_t n, n_added = 0;

                for (size_t i = 0; i < SL_ARRAY_SIZE(want); i++) {
                        char line[16];
                        int r;

                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        sl_entry_reset(&e);
                        snprintf(line, sizeof(line), "%zu", i);
                        for (size_t k = 0; k < rng % 5; k++) {
                                size_t pick = (size_t)(rng >> (8 + 7 * k));
                                sl_kvs_set(&e.labels, sl_str_c(names[pick % SL_ARRAY_SIZE(names)]),
                                           sl_str_c(values[(pick / 8) % SL_ARRAY_SIZE(values)]));
                        }
                        /* The definition. */
                        sl_kvs_copy(&merged, &ext);
                        for (size_t k = 0; k < e.labels.len; k++)
                                sl_kvs_set(&merged, e.labels.items[k].name, e.labels.items[k].value);
                        sl_buf_reset(&out);
                        ck_assert_int_gt(sl_labels_render(&merged, &out), 0);
                        snprintf(want[i], sizeof(want[i]), "%s", out.data);

                        e.ts_ns = 1;
                        e.line = sl_str_c(line);
                        r = sl_batcher_add(bt, &e, 0);
                        ck_assert_int_eq(r, 0);
                        n_added++;
                }
                b = sl_batcher_take(bt, 0, true);
                check_sealed(b);
                ck_assert_uint_eq(sl_batch_entries(b), n_added);
                s = sl_batch_streams(b, &n);
                ck_assert_uint_gt(n, 5);
                for (size_t i = 0; i < n; i++) {
                        for (size_t j = 0; j < i; j++)
                                ck_assert_str_ne(s[i].labels.ptr, s[j].labels.ptr);
                        for (size_t j = 0; j < s[i].n_entries; j++)
                                ck_assert_str_eq(s[i].labels.ptr,
                                                 want[atoi(s[i].entries[j].line.ptr)]);
                }
        }
        sl_entry_release(&e);
        sl_buf_release(&out);
        sl_kvs_release(&merged);
        sl_kvs_release(&ext);
}
END_TEST

/* Past the 64 labels rendered, which labels are rendered depends on their
 * order: the same set in another order may be another stream. */
START_TEST(test_many_labels_order_matters) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, SL_NSEC_PER_SEC);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const struct sl_batch_stream *s;
        char names[70][8];
        struct sl_entry e;
        size_t n;

        for (size_t i = 0; i < 70; i++)
                snprintf(names[i], sizeof(names[i]), "l%02zu", i);
        sl_entry_init(&e);
        for (size_t round = 0; round < 3; round++) {
                sl_entry_reset(&e);
                e.ts_ns = 1;
                e.line = SL_STR_LIT("x");
                for (size_t i = 0; i < 70; i++) {
                        /* rounds 0 and 2: l00..l69; round 1: l69..l00 */
                        size_t k = round == 1 ? 69 - i : i;
                        sl_kvs_set(&e.labels, sl_str_c(names[k]), SL_STR_LIT("v"));
                }
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        }
        sl_entry_release(&e);
        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(s[0].n_entries, 2);
        ck_assert_ptr_nonnull(strstr(s[0].labels.ptr, "{l00=\"v\""));
        ck_assert_ptr_null(strstr(s[0].labels.ptr, "l64"));
        ck_assert_ptr_nonnull(strstr(s[1].labels.ptr, "l69=\"v\"}"));
        ck_assert_ptr_null(strstr(s[1].labels.ptr, "l05"));
}
END_TEST

/* Loki's label limits, default mode: an entry whose route label is 3,000
 * bytes long is kept with the value cut to 2048, and one with 20 labels with
 * the first 15 (external labels first, then its own in order); each entry is
 * counted, the second of a stream too (found in the index, not checked
 * again); the entries beside them are untouched. */
START_TEST(test_label_limits_keep) {
        struct sl_kvs ext;
        struct sl_batcher_options o = {
                .batchsize = 1 << 20, .batchwait_ns = 1000, .external_labels = &ext,
                .label_limits = { SL_LOKI_MAX_LABEL_NAMES, SL_LOKI_MAX_LABEL_NAME_LENGTH,
                                  SL_LOKI_MAX_LABEL_VALUE_LENGTH },
        };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = NULL;
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const struct sl_batcher_stats *st;
        const struct sl_batch_stream *s;
        char *route = malloc(3001), names[20][8], want[512];
        struct sl_entry e;
        size_t n, len = 0;

        sl_kvs_init(&ext);
        sl_kvs_set(&ext, SL_STR_LIT("cluster"), SL_STR_LIT("eu"));
        bt = sl_batcher_new(&o);
        sl_kvs_release(&ext);
        memset(route, 'r', 3000);
        route[3000] = '\0';
        sl_entry_init(&e);

        for (int i = 0; i < 2; i++) {
                entry_fill(&e, 1 + i, "long route", (const char *[]){ "job", "api", "route", route, NULL });
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        }
        sl_entry_reset(&e);
        e.ts_ns = 3;
        e.line = SL_STR_LIT("many labels");
        for (int i = 0; i < 20; i++) {
                snprintf(names[i], sizeof(names[i]), "l%02d", 19 - i);
                sl_kvs_set(&e.labels, sl_str_c(names[i]), SL_STR_LIT("v"));
        }
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 4, "beside", (const char *[]){ "job", "api", "route", "/users", NULL });
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        sl_entry_release(&e);

        st = sl_batcher_stats(bt);
        ck_assert_uint_eq(st->entries_added, 4);
        ck_assert_uint_eq(st->label_limited[SL_LABEL_VALUE_TOO_LONG], 2);
        ck_assert_uint_eq(st->label_limited[SL_LABEL_TOO_MANY_NAMES], 1);
        ck_assert_uint_eq(st->label_limited[SL_LABEL_INVALID_NAME], 0);

        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 3);
        ck_assert_uint_eq(s[0].n_entries, 2);
        ck_assert_uint_eq(s[0].labels.len, strlen("{cluster=\"eu\", job=\"api\", route=\"\"}") + 2048);
        /* cluster, then l19 ... l06: 15 names. */
        len = (size_t)snprintf(want, sizeof(want), "{cluster=\"eu\"");
        for (int i = 6; i <= 19; i++)
                len += (size_t)snprintf(want + len, sizeof(want) - len, ", l%02d=\"v\"", i);
        snprintf(want + len, sizeof(want) - len, "}");
        ck_assert_str_eq(s[1].labels.ptr, want);
        ck_assert_str_eq(s[2].labels.ptr, "{cluster=\"eu\", job=\"api\", route=\"/users\"}");
        free(route);
}
END_TEST

/* drop_over_label_limits: those entries are dropped and counted by their
 * first reason; the others go on. */
START_TEST(test_label_limits_drop) {
        struct sl_batcher_options o = {
                .batchsize = 1 << 20, .batchwait_ns = 1000,
                .label_limits = { SL_LOKI_MAX_LABEL_NAMES, SL_LOKI_MAX_LABEL_NAME_LENGTH,
                                  SL_LOKI_MAX_LABEL_VALUE_LENGTH },
                .drop_over_label_limits = true,
        };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const struct sl_batcher_stats *st;
        char *route = malloc(3001);
        struct sl_entry e;

        memset(route, 'r', 3000);
        route[3000] = '\0';
        sl_entry_init(&e);
        for (int i = 0; i < 2; i++) {
                entry_fill(&e, 1, "long route", (const char *[]){ "job", "api", "route", route, NULL });
                ck_assert_int_eq(sl_batcher_add(bt, &e, 0), -EPERM);
        }
        entry_fill(&e, 2, "bad name", (const char *[]){ "job", "api", "bad-name", "x", NULL });
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), -EPERM);
        entry_fill(&e, 3, "fine", (const char *[]){ "job", "api", NULL });
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        sl_entry_release(&e);

        st = sl_batcher_stats(bt);
        ck_assert_uint_eq(st->label_dropped[SL_LABEL_VALUE_TOO_LONG], 2);
        ck_assert_uint_eq(st->label_dropped[SL_LABEL_INVALID_NAME], 1);
        ck_assert_uint_eq(st->label_limited[SL_LABEL_VALUE_TOO_LONG], 0);
        ck_assert_uint_eq(st->entries_added, 1);
        b = sl_batcher_take(bt, 0, true);
        ck_assert_uint_eq(sl_batch_entries(b), 1);
        free(route);
}
END_TEST

/* limits_config.max_streams, as Promtail's client applies it: an entry of a
 * stream new to the batch is dropped once the batch holds max_streams
 * streams; entries of its streams still go in, and the next batch starts
 * with room again. */
START_TEST(test_max_streams) {
        struct sl_batcher_options o = { .batchsize = 1 << 20, .batchwait_ns = 1000,
                                        .max_streams = 2 };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const struct sl_batcher_stats *st = sl_batcher_stats(bt);
        const char *a[] = { "app", "a", NULL }, *b2[] = { "app", "b", NULL };
        const char *c[] = { "app", "c", NULL }, *d[] = { "app", "d", NULL };
        struct sl_entry e;
        size_t n;

        sl_entry_init(&e);
        entry_fill(&e, 1, "a1", a);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 2, "b1", b2);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 3, "c1", c);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), -ENOSPC);
        entry_fill(&e, 4, "a2", a);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 5, "d1", d);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), -ENOSPC);
        ck_assert_uint_eq(st->entries_dropped_stream_limit, 2);
        ck_assert_uint_eq(st->entries_added, 3);

        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(sl_batch_entries(b), 3);
        sl_batch_free(b);

        /* A new batch: c has room now. */
        entry_fill(&e, 6, "c2", c);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        b = sl_batcher_take(bt, 0, true);
        sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 1);
        sl_entry_release(&e);
}
END_TEST

/* The tenant stage's "__tenant_id__": the same labels under two tenants
 * are two streams, never sent as a label; the sealed batch keeps each
 * tenant's streams together, tenants in order of first appearance, so the
 * client can send each tenant's entries as one range. */
START_TEST(test_tenants) {
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = new_batcher(1 << 20, SL_NSEC_PER_SEC);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *a_t1[] = { "app", "a", SL_TENANT_LABEL, "t1", NULL };
        const char *a_t2[] = { "app", "a", SL_TENANT_LABEL, "t2", NULL };
        const char *a[] = { "app", "a", NULL }, *b_t1[] = { "app", "b", SL_TENANT_LABEL, "t1", NULL };
        const char *a_empty[] = { "app", "a", SL_TENANT_LABEL, "", NULL };
        const struct sl_batch_stream *s;
        struct sl_entry e;
        size_t n;

        sl_entry_init(&e);
        entry_fill(&e, 1, "1", a_t1);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 2, "2", a);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 3, "3", a_t2);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 4, "4", b_t1);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 5, "5", a_t1);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        /* An empty tenant is none. */
        entry_fill(&e, 6, "6", a_empty);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        sl_entry_release(&e);

        b = sl_batcher_take(bt, 0, true);
        check_sealed(b);
        s = sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 4);
        ck_assert_str_eq(s[0].labels.ptr, "{app=\"a\"}");
        ck_assert_str_eq(s[0].tenant.ptr, "t1");
        ck_assert_uint_eq(s[0].n_entries, 2);
        ck_assert_str_eq(s[0].entries[1].line.ptr, "5");
        ck_assert_str_eq(s[1].labels.ptr, "{app=\"b\"}");
        ck_assert_str_eq(s[1].tenant.ptr, "t1");
        ck_assert_uint_eq(s[2].tenant.len, 0);
        ck_assert_uint_eq(s[2].n_entries, 2);
        ck_assert_str_eq(s[2].entries[0].line.ptr, "2");
        ck_assert_str_eq(s[2].entries[1].line.ptr, "6");
        ck_assert_str_eq(s[3].tenant.ptr, "t2");
        ck_assert_str_eq(s[3].entries[0].line.ptr, "3");
}
END_TEST

/* max_streams counts each tenant's streams, as Promtail's batch per tenant. */
START_TEST(test_max_streams_per_tenant) {
        struct sl_batcher_options o = { .batchsize = 1 << 20, .batchwait_ns = 1000,
                                        .max_streams = 1 };
        _cleanup_(sl_batcher_freep) struct sl_batcher *bt = sl_batcher_new(&o);
        _cleanup_(sl_batch_freep) struct sl_batch *b = NULL;
        const char *a_t1[] = { "app", "a", SL_TENANT_LABEL, "t1", NULL };
        const char *b_t1[] = { "app", "b", SL_TENANT_LABEL, "t1", NULL };
        const char *b_t2[] = { "app", "b", SL_TENANT_LABEL, "t2", NULL };
        const char *a[] = { "app", "a", NULL };
        struct sl_entry e;
        size_t n;

        sl_entry_init(&e);
        entry_fill(&e, 1, "1", a_t1);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 2, "2", b_t2);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 3, "3", a);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        entry_fill(&e, 4, "4", b_t1);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), -ENOSPC);
        entry_fill(&e, 5, "5", a_t1);
        ck_assert_int_eq(sl_batcher_add(bt, &e, 0), 0);
        sl_entry_release(&e);
        b = sl_batcher_take(bt, 0, true);
        sl_batch_streams(b, &n);
        ck_assert_uint_eq(n, 3);
        ck_assert_uint_eq(sl_batch_entries(b), 4);
}
END_TEST

static Suite *batcher_suite(void) {
        Suite *s = suite_create("batcher");
        TCase *tc = tcase_create("core");

        /* Room for a loaded machine and the sanitizers: some cases add thousands of entries. */
        tcase_set_timeout(tc, 30);

        tcase_add_test(tc, test_streams_by_label_set);
        tcase_add_test(tc, test_sorted_by_time_stable);
        tcase_add_test(tc, test_sort_many_interleaved);
        tcase_add_test(tc, test_size_threshold);
        tcase_add_test(tc, test_deadline);
        tcase_add_test(tc, test_force);
        tcase_add_test(tc, test_marks_only_batch);
        tcase_add_test(tc, test_marks_last_per_source);
        tcase_add_test(tc, test_external_labels);
        tcase_add_test(tc, test_label_limits_keep);
        tcase_add_test(tc, test_label_limits_drop);
        tcase_add_test(tc, test_no_labels_refused);
        tcase_add_test(tc, test_max_line_size);
        tcase_add_test(tc, test_copies_and_now);
        tcase_add_test(tc, test_oldest_ns);
        tcase_add_test(tc, test_streams_across_batches);
        tcase_add_test(tc, test_long_values_differing_at_the_end);
        tcase_add_test(tc, test_unsent_labels_share_a_stream);
        tcase_add_test(tc, test_streams_match_rendering);
        tcase_add_test(tc, test_many_labels_order_matters);
        tcase_add_test(tc, test_max_streams);
        tcase_add_test(tc, test_tenants);
        tcase_add_test(tc, test_max_streams_per_tenant);
        suite_add_tcase(s, tc);
        return s;
}

SL_TEST_MAIN(batcher_suite)
