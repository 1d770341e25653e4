/* target.h - struct sl_target: a set of files and the labels their lines
 * carry, as discovery made it.
 *
 * A target comes from a static_configs entry, a Docker container
 * (docker_sd_configs) or a pod's container (kubernetes_sd_configs), and is
 * relabeled once when it is discovered (or when what it was made from
 * changes), never per line. Its files are those of its __path__ glob (a
 * Docker container's: its LogPath).
 *
 * Docker targets carry __meta_docker_container_log_stream, which depends on
 * the line (stdout or stderr): such a target is relabeled once per stream,
 * and when the two results differ (by_stream) each line picks its own from
 * the "stream" field of its json-file record. A stream whose relabeling
 * dropped the target has no labels: its lines are dropped, counted, and
 * their positions still move on.
 *
 * Owns: its label sets. Discovery (discovery.h) owns targets; the tailer
 * and the agent borrow them until the tailer releases their last file.
 * Threading: loop thread only.
 */
#ifndef SL_DISCOVERY_TARGET_H
#define SL_DISCOVERY_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/str.h"
#include "core/kv.h"
#include "discovery/label-set.h"

enum sl_target_stream {
        SL_STREAM_STDOUT = 0,  /* also every line of targets without streams */
        SL_STREAM_STDERR = 1,
        SL_STREAMS = 2,
};

enum sl_target_kind {
        SL_TARGET_STATIC,      /* a static_configs target */
        SL_TARGET_FILE,        /* a static target's files in one directory, with the
                                * labels of the container found there */
        SL_TARGET_DOCKER,      /* a container of docker_sd_configs */
        SL_TARGET_KUBE,        /* a pod's container of kubernetes_sd_configs */
};

struct sl_target {
        enum sl_target_kind kind;
        void *job;                         /* borrowed: the agent's userdata for its job */
        size_t job_index;                  /* its scrape config's index */
        bool by_stream;                    /* stdout and stderr lines get different labels */
        bool dropped[SL_STREAMS];          /* relabeling dropped this stream's lines */
        struct sl_label_set labels[SL_STREAMS]; /* final labels (no "__" names), by stream */
        struct sl_kvs kvs[SL_STREAMS];     /* views of labels[], what lines start with */

        /* Discovery's bookkeeping (discovery.c). */
        struct sl_discovery *owner;        /* borrowed: the discovery it belongs to (a
                                            * reload's new one once adopted) */
        char *group;                       /* owned; the source it came from */
        char *id;                          /* owned; its identity in the group */
        char *glob;                        /* owned; the __path__ glob; NULL: none */
        char *path_exclude;                /* owned; __path_exclude__, or NULL */
        struct sl_label_set discovered;    /* before relabeling (a static target's files
                                            * are relabeled again with their own labels) */
        bool streams;                      /* relabeled per stream (a Docker container) */
        bool registered;                   /* its glob is with the tailer */
        unsigned refs;                     /* its glob (while registered) and its files */
        struct sl_target *parent;          /* FILE: the static target it refines */
        char *dir;                         /* FILE: the directory its files are in */
        uint64_t cfg_ino, cfg_size;        /* FILE: config.v2.json as last read */
        int64_t cfg_mtime_ns;
        bool cfg_present;                  /* FILE: config.v2.json was read */
        struct sl_target *prev, *next;     /* discovery's list of every target */
};

/* Which stream a Docker json-file record is from: "stderr" in its "stream"
 * field, else stdout. (Inside the "log" string every quote is escaped, so
 * the first unescaped "stream":" is the field.) */
static inline enum sl_target_stream sl_target_line_stream(struct sl_str line) {
        static const char key[] = "\"stream\":\"std";
        const char *p = line.len >= sizeof(key) + 3
                                ? (const char *)memmem(line.ptr, line.len, key, sizeof(key) - 1)
                                : NULL;

        if (p && (size_t)(line.ptr + line.len - p) >= sizeof(key) + 2 &&
            memcmp(p + sizeof(key) - 1, "err", 3) == 0)
                return SL_STREAM_STDERR;
        return SL_STREAM_STDOUT;
}

/* The labels a line of @t starts with (borrowed: valid until discovery
 * relabels @t, which only happens between reads), or NULL when the line's
 * stream is dropped by relabeling. */
static inline const struct sl_kvs *sl_target_labels(const struct sl_target *t,
                                                    struct sl_str line) {
        enum sl_target_stream s = t->by_stream ? sl_target_line_stream(line) : SL_STREAM_STDOUT;

        return t->dropped[s] ? NULL : &t->kvs[s];
}

#endif
