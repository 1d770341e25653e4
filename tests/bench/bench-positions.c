/* bench-positions.c - what keeping positions on disk at once costs: the
 * journal append after an acknowledgement (every batch Loki answers), after
 * a new file is tracked (every rotation), and a whole save (every
 * sync_period), for positions holding FILES entries.
 *
 * Usage: sluice-bench-positions [FILES] [ROUNDS]   (prints figures) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fs-util.h"
#include "tail/positions.h"

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
        unsigned files = argc > 1 ? (unsigned)atoi(argv[1]) : 100;
        unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 20000;
        char dir[] = "/tmp/sl-bench-positions-XXXXXX", path[4096], file[256];
        struct sl_fingerprint fp = { .hash = 0x1234, .len = 1024 };
        struct sl_positions *p;
        struct stat st;
        double t0, ack_us, track_us, save_ms;

        if (!mkdtemp(dir))
                return 1;
        snprintf(path, sizeof(path), "%s/positions.yaml", dir);
        p = sl_positions_new(path);
        for (unsigned i = 0; i < files; i++) {
                snprintf(file, sizeof(file), "/var/lib/docker/containers/%064u/%064u-json.log", i, i);
                sl_positions_track(p, 2049, 1000 + i, file, 0, &fp, i + 1);
                sl_positions_note_read(p, 2049, 1000 + i, UINT64_MAX, &fp);
        }
        sl_positions_save(p);

        /* A batch acknowledged: its marks move a few files' offsets. */
        t0 = now_s();
        for (unsigned r = 0; r < rounds; r++) {
                for (unsigned k = 0; k < 4; k++)
                        sl_positions_ack_source(p, 2049, 1000 + (r * 4 + k) % files,
                                                (r * 4 + k) % files + 1, (uint64_t)r * 100 + 100);
                sl_positions_flush(p);
        }
        ack_us = (now_s() - t0) / rounds * 1e6;

        /* A rotation: a new file tracked. */
        t0 = now_s();
        for (unsigned r = 0; r < rounds; r++) {
                snprintf(file, sizeof(file), "/var/lib/docker/containers/x/%u-json.log", r);
                sl_positions_track(p, 2050, r, file, 0, &fp, files + r + 1);
                sl_positions_flush(p);
                sl_positions_release(p, 2050, r);
                sl_positions_remove(p, 2050, r);
        }
        track_us = (now_s() - t0) / rounds * 1e6;

        t0 = now_s();
        for (unsigned r = 0; r < 20; r++) {
                sl_positions_ack(p, 2049, 1000, (uint64_t)rounds * 100 + 200 + r);
                sl_positions_save(p);
        }
        save_ms = (now_s() - t0) / 20 * 1e3;
        stat(path, &st);
        printf("positions with %u files:\n", files);
        printf("  acknowledgement of a batch (4 files) + journal flush  %8.2f us\n", ack_us);
        printf("  new file tracked (a rotation) + journal flush         %8.2f us\n", track_us);
        printf("  whole save (snapshot, fsync, rename)                  %8.2f ms (%lld bytes)\n",
               save_ms, (long long)st.st_size);
        sl_positions_free(p);
        unlink(path);
        rmdir(dir);
        return 0;
}
