/* discovery.h - which files sluice reads, and with which labels.
 *
 * Every scrape config's targets come from here: its static_configs, its
 * docker_sd_configs (containers listed by the Docker Engine API,
 * discovery/docker-sd.h) and its kubernetes_sd_configs (pods listed and
 * watched on the Kubernetes API, discovery/kube-sd.h). Each target is
 * relabeled with the job's relabel_configs once, when it is discovered or
 * changes (discovery/relabel.h), as Promtail does:
 *   - a static target starts with its labels, __path__, __address__ (each
 *     entry of `targets`, default localhost) and, unless its labels set
 *     one, job (the job_name: sluice's own);
 *   - a target dropped by relabeling, or left without __path__, is not
 *     followed; one with __host__ other than this host's name ($HOSTNAME,
 *     else gethostname) neither;
 *   - __path_exclude__ is a glob of files not to read among __path__'s;
 *   - every label starting with "__" is then removed; a target left with
 *     no label at all is dropped (Loki refuses a stream without labels);
 *   - targets of a group with the same identity are one (the first wins).
 * Without the API: a static target's files are relabeled once more, each
 * with the labels of where it is (sl_discovery_file_target()):
 *   - in a Docker container's directory (config.v2.json beside it), the
 *     same __meta_docker_* labels docker_sd_configs gives (from
 *     config.v2.json and hostconfig.json; read when a file of the
 *     directory is first followed and again when config.v2.json changes,
 *     sl_discovery_tick(); a missing or unreadable one leaves them out, with
 *     a debug log);
 *   - under a kubelet pods directory, the namespace, pod, pod_uid and
 *     container labels of its path (discovery/pod-meta.h).
 *   For such files, the static target's __path__ is the one written (or
 *   set by relabeling without those labels); relabeling with them decides
 *   whether each directory's files are read.
 *
 * Owns: every target, the job's providers (Docker and Kubernetes clients),
 * the copies it needs. Borrows: the config (its relabel rules, whose
 * regexes matching writes to), the loop, the hooks' userdata, the jobs'
 * userdata. Targets are lent to the tailer through the hooks
 * (add_glob/remove_glob) and to the tailer's files through
 * sl_discovery_file_target()/sl_discovery_file_released(): a target lives
 * until it is neither registered nor read.
 *
 * Calling sequence:
 *   sl_discovery_new()          builds the static targets; connects nothing
 *   sl_discovery_start()        registers static targets' globs (add_glob)
 *                               and starts the providers on the loop
 *   sl_discovery_synced()       true once every provider has answered (or
 *                               failed) once: then the first tailer scan
 *   ... add_glob/remove_glob hooks as targets come and go;
 *       sl_discovery_file_target()/sl_discovery_file_released() from the
 *       tailer's callbacks; sl_discovery_tick() on the rescan timer ...
 *   a reload: a new one with sl_discovery_new(), then sl_discovery_adopt()
 *       from the old one, sl_discovery_globs() for sl_tailer_set_globs()
 *       (sl_discovery_file_retarget() as its retarget callback), the old
 *       one freed, sl_discovery_start() on the new one
 *   sl_discovery_free()         after the tailer is freed (or, for one a
 *                               reload replaced, once no file carries its
 *                               targets)
 * Logging: only debug; what the agent should say (a provider failing, a
 * log driver sluice cannot read) goes through the warn hook.
 * Threading: loop thread only.
 */
#ifndef SL_DISCOVERY_DISCOVERY_H
#define SL_DISCOVERY_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/loop.h"
#include "base/yaml-doc.h"
#include "config/config.h"
#include "discovery/target.h"

struct sl_discovery_hooks {
        /* Follow the files of glob @pattern for @t (sl_tailer_add_glob). */
        int (*add_glob)(void *userdata, const char *pattern, struct sl_target *t);
        /* Stop: @t's files are read to their end and released
         * (sl_tailer_remove_glob); the target lives on until then. */
        void (*remove_glob)(void *userdata, struct sl_target *t);
        /* Something the operator should know (@msg, then logfmt @detail). */
        void (*warn)(void *userdata, const char *msg, const char *detail);
        void *userdata;
};

struct sl_discovery_stats {
        uint64_t targets_active;      /* targets registered with the tailer (gauge) */
        uint64_t targets_added;       /* targets registered since the start */
        uint64_t targets_removed;     /* targets gone (containers stopped, pods deleted) */
        uint64_t targets_dropped;     /* targets relabeling dropped (or without __path__,
                                       * labels, or on another __host__) */
        uint64_t file_targets;        /* directories with labels of their own (gauge) */
        uint64_t meta_read_errors;    /* config.v2.json files that could not be read */
        uint64_t meta_changes;        /* config.v2.json files found changed (relabeled) */
        uint64_t refreshes;           /* provider answers (lists, watch events) */
        uint64_t refresh_errors;      /* provider requests that failed */
};

struct sl_discovery;

/* Builds the targets of @config's static_configs (relabeled) and the
 * providers of its docker_sd_configs and kubernetes_sd_configs.
 * @job_userdata[i] is handed out with scrape config i's targets. Returns
 * 0, or -EINVAL with @err filled (a provider's settings cannot be used:
 * no in-cluster environment, an unreadable kubeconfig_file...). */
int sl_discovery_new(const struct sl_config *config, struct sl_loop *loop,
                     const struct sl_discovery_hooks *hooks, void *const *job_userdata,
                     struct sl_discovery **ret, struct sl_cfg_error *err);
void sl_discovery_free(struct sl_discovery *d);
SL_DEFINE_CLEANUP(struct sl_discovery *, sl_discovery_free)

void sl_discovery_start(struct sl_discovery *d);
bool sl_discovery_synced(const struct sl_discovery *d);

/* The tailer's target callback: the target whose labels the lines of
 * @path, matched by @glob_target's glob, carry; NULL to leave the file
 * alone (excluded by __path_exclude__, or relabeling dropped its
 * directory). A returned target is held until
 * sl_discovery_file_released(). */
struct sl_target *sl_discovery_file_target(struct sl_discovery *d, const char *path,
                                           struct sl_target *glob_target);
/* The tailer released a file of @t (whichever discovery @t belongs to). */
void sl_discovery_file_released(struct sl_target *t);

/* A reload (the tailer's retarget callback, from sl_tailer_set_globs()):
 * the target of @d a followed file of @path carries from now on, its hold
 * on @old (a target of the discovery @d replaces, or one @d adopted) moved
 * to it: for @glob_target (the glob of the same pattern, one of @d's),
 * what sl_discovery_file_target() says; without one (a file of a target
 * gone, read to its end), @old itself when @d adopted it. NULL: the file is
 * let go (the tailer releases it, and @old with it). */
struct sl_target *sl_discovery_file_retarget(struct sl_discovery *d, const char *path,
                                             struct sl_target *old,
                                             struct sl_target *glob_target);

/* A reload, before @d (built from the new config, not started) replaces
 * @old: @d takes over @old's Docker and Kubernetes targets whose job (by
 * job_name) still has the provider entry that reported them, relabeled
 * with the new rules (one now dropped, or reading other files, is left
 * behind), so that their files go on; @d's provider then reports them
 * again, and keeps, relabels or removes them as it would its own. @old's
 * counters are carried over. */
void sl_discovery_adopt(struct sl_discovery *d, struct sl_discovery *old);

/* A reload: marks @d's static targets registered (without the add_glob
 * hook) and lists every target of @d with a glob, adopted ones included,
 * for sl_tailer_set_globs(): @n patterns (borrowed from the targets) and
 * targets in new arrays *@ret_patterns, *@ret_targets. Returns @n. Then
 * sl_discovery_start() starts the providers. */
size_t sl_discovery_globs(struct sl_discovery *d, const char ***ret_patterns,
                          void ***ret_targets);

/* Periodic duties: looks whether config.v2.json files changed (their
 * directory's targets are relabeled in place). */
void sl_discovery_tick(struct sl_discovery *d);

/* Borrowed, live: valid until sl_discovery_free(). */
const struct sl_discovery_stats *sl_discovery_stats(const struct sl_discovery *d);

#endif
