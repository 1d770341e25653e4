/* fuzz-positions.c - the positions file (tail/positions.h) on hostile
 * content: sluice's format in every version (snapshot and journal) and
 * Promtail's YAML, as a user moving over would hand it.
 *
 * The whole input is the file. Checks, beyond the sanitizers:
 *   - a refused file leaves no entry and says why (an error text);
 *   - what a load accepts is saved, and the saved file loads again to the
 *     same entries (identity, offset, fingerprint, size, path byte for byte);
 *   - changes written as journal records (an entry removed, one renamed,
 *     one acknowledged further) load again to the same entries, and so
 *     does the snapshot that folds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "fuzz-util.h"
#include "tail/positions.h"

#define MAX_ENTRIES 64

static char dir[48], path[64];

static void remove_dir(void) {
        unlink(path);
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        snprintf(dir, sizeof(dir), "/tmp/fuzz-positions-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        snprintf(path, sizeof(path), "%s/positions", dir);
        atexit(remove_dir);
        return 0;
}

static void write_file(const uint8_t *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0)
                abort();
        while (size > 0) {
                ssize_t n = write(fd, data, size);
                if (n <= 0)
                        abort();
                data += n;
                size -= (size_t)n;
        }
        close(fd);
}

struct snap {
        size_t n;
        struct sl_position e[MAX_ENTRIES];
        char *paths[MAX_ENTRIES];
};

static void snap_free(struct snap *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->paths[i]);
        s->n = 0;
}

/* The entries of @p (their first MAX_ENTRIES), paths copied. Returns the
 * count of all entries. */
static size_t snap_take(const struct sl_positions *p, struct snap *s) {
        struct sl_position e;
        size_t cursor = 0, all = 0;

        s->n = 0;
        while (sl_positions_next(p, &cursor, &e)) {
                all++;
                if (s->n == MAX_ENTRIES)
                        continue;
                s->e[s->n] = e;
                s->paths[s->n] = strdup(e.path ? e.path : "");
                if (!s->paths[s->n])
                        abort();
                s->n++;
        }
        return all;
}

/* Every entry of @s is in @p with the same saved fields. */
static void snap_check(const struct snap *s, const struct sl_positions *p, const char *when) {
        for (size_t i = 0; i < s->n; i++) {
                const struct sl_position *a = &s->e[i];
                struct sl_position b;

                FUZZ_CHECK(sl_positions_find(p, a->dev, a->ino, &b), "%s: %llu:%llu is gone", when,
                           (unsigned long long)a->dev, (unsigned long long)a->ino);
                FUZZ_CHECK(a->offset == b.offset, "%s: offset %llu became %llu", when,
                           (unsigned long long)a->offset, (unsigned long long)b.offset);
                FUZZ_CHECK(a->fp.len == b.fp.len && a->fp.hash == b.fp.hash, "%s: fingerprint", when);
                FUZZ_CHECK(a->size_known == b.size_known && (!a->size_known || a->size == b.size),
                           "%s: size", when);
                FUZZ_CHECK(a->done == b.done, "%s: done", when);
                FUZZ_CHECK(strcmp(s->paths[i], b.path ? b.path : "") == 0, "%s: path \"%s\" became \"%s\"",
                           when, s->paths[i], b.path ? b.path : "");
        }
}

static struct sl_positions *load_again(const char *when) {
        struct sl_positions *p = sl_positions_new(path);
        int r = sl_positions_load(p);

        FUZZ_CHECK(r == 0, "%s: what sluice wrote does not load: %s", when,
                   sl_positions_error(p) ? sl_positions_error(p) : "?");
        return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sl_positions_freep) struct sl_positions *p = NULL, *again = NULL, *journal = NULL;
        struct snap s = { 0 };
        size_t count;
        int r;

        write_file(data, size);
        p = sl_positions_new(path);
        r = sl_positions_load(p);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG, "load failed with %d", r);
                FUZZ_CHECK(sl_positions_error(p) != NULL, "a refusal without a reason");
                FUZZ_CHECK(sl_positions_count(p) == 0, "a refused file left entries");
                return 0;
        }
        FUZZ_CHECK(sl_positions_error(p) == NULL, "an error text after a load that worked");

        /* Saved whole, then read again. */
        count = snap_take(p, &s);
        FUZZ_CHECK(count == sl_positions_count(p), "iteration saw %zu of %zu", count, sl_positions_count(p));
        FUZZ_CHECK(sl_positions_save(p) == 0, "save failed");
        again = load_again("after a save");
        FUZZ_CHECK(sl_positions_count(again) == count, "%zu entries became %zu", count,
                   sl_positions_count(again));
        snap_check(&s, again, "after a save");
        snap_free(&s);

        /* Changes as journal records: the first entry removed, the second
         * renamed, the third tracked and acknowledged further. */
        snap_take(p, &s);
        if (s.n > 0)
                sl_positions_remove(p, s.e[0].dev, s.e[0].ino);
        if (s.n > 1)
                sl_positions_set_path(p, s.e[1].dev, s.e[1].ino, "/renamed\n\\path\x01");
        if (s.n > 2) {
                const struct sl_position *e = &s.e[2];
                uint64_t to = e->offset < UINT64_MAX - 100 ? e->offset + 100 : e->offset;

                sl_positions_track(p, e->dev, e->ino, s.paths[2], e->offset, &e->fp, 7);
                sl_positions_note_read(p, e->dev, e->ino, to, &e->fp);
                sl_positions_ack(p, e->dev, e->ino, to);
        }
        FUZZ_CHECK(sl_positions_flush(p) == 0, "flush failed");
        snap_free(&s);
        count = snap_take(p, &s);
        journal = load_again("after journal records");
        FUZZ_CHECK(sl_positions_count(journal) == count, "journal: %zu entries became %zu", count,
                   sl_positions_count(journal));
        snap_check(&s, journal, "after journal records");

        /* The journal folded into a snapshot. */
        sl_positions_free(again);
        FUZZ_CHECK(sl_positions_save(p) == 0, "save after the journal failed");
        again = load_again("after the fold");
        snap_check(&s, again, "after the fold");
        snap_free(&s);
        unlink(path);
        return 0;
}
