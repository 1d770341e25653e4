/* discovery.c - see discovery.h.
 *
 * Targets are kept in one list. A provider's report replaces a group
 * (sl_discovery_group_set): targets are matched by identity, relabeled,
 * and registered with the tailer (add_glob) or taken back (remove_glob).
 * A taken-back target stays in the list, out of every group, until the
 * tailer has released its files; static targets stay for good.
 */
#include "discovery/discovery.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fs-util.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "discovery/discovery-internal.h"
#include "discovery/docker-meta.h"
#include "discovery/pod-meta.h"
#include "discovery/relabel.h"

#define META_FILE_MAX (4u << 20)  /* config.v2.json is a few KiB */
#define STREAM_LABEL "__meta_docker_container_log_stream"

struct sl_discovery {
        const struct sl_config *config;    /* borrowed */
        struct sl_loop *loop;              /* borrowed */
        struct sl_discovery_hooks hooks;   /* copy */
        void **jobs;                       /* owned array of borrowed userdata, one per job */
        char hostname[256];                /* for __host__ and node selectors */
        struct sl_target *targets;         /* owned list of every target */
        struct sl_provider *providers;     /* owned list */
        struct sl_discovery_stats stats;
};

static struct sl_relabel_config *job_rules(const struct sl_discovery *d, size_t job,
                                           size_t *ret_n) {
        const struct sl_scrape_config *sc = &d->config->scrape_configs[job];

        *ret_n = sc->discovery ? sc->discovery->n_relabel : 0;
        return sc->discovery ? sc->discovery->relabel : NULL;
}

/* ---- targets ----------------------------------------------------------- */

static struct sl_target *target_new(struct sl_discovery *d, enum sl_target_kind kind,
                                    size_t job, const char *group, const char *id) {
        struct sl_target *t = sl_xnew(struct sl_target);

        t->owner = d;
        t->kind = kind;
        t->job_index = job;
        t->job = d->jobs[job];
        t->group = sl_xstrdup(group ? group : "");
        t->id = sl_xstrdup(id ? id : "");
        sl_label_set_init(&t->discovered);
        for (int s = 0; s < SL_STREAMS; s++) {
                sl_label_set_init(&t->labels[s]);
                sl_kvs_init(&t->kvs[s]);
        }
        t->next = d->targets;
        if (d->targets)
                d->targets->prev = t;
        d->targets = t;
        return t;
}

static void target_free(struct sl_discovery *d, struct sl_target *t) {
        if (t->prev)
                t->prev->next = t->next;
        else
                d->targets = t->next;
        if (t->next)
                t->next->prev = t->prev;
        if (t->kind == SL_TARGET_FILE)
                d->stats.file_targets--;
        free(t->group);
        free(t->id);
        free(t->glob);
        free(t->path_exclude);
        free(t->dir);
        sl_label_set_release(&t->discovered);
        for (int s = 0; s < SL_STREAMS; s++) {
                sl_label_set_release(&t->labels[s]);
                sl_kvs_release(&t->kvs[s]);
        }
        free(t);
}

/* One reference fewer; static targets stay, others go at the last. */
static void target_unref(struct sl_target *t) {
        if (t->refs > 0)
                t->refs--;
        if (t->refs == 0 && t->kind != SL_TARGET_STATIC)
                target_free(t->owner, t);
}

static bool all_dropped(const struct sl_target *t) {
        return t->dropped[SL_STREAM_STDOUT] && t->dropped[SL_STREAM_STDERR];
}

/* Relabels @in into @t's label sets, once per stream when @streams. Sets
 * *@ret_glob and *@ret_exclude (new strings or NULL) from the first kept
 * stream. Returns whether any stream is kept. */
static bool target_relabel(struct sl_discovery *d, struct sl_target *t,
                           const struct sl_label_set *in, bool streams, char **ret_glob,
                           char **ret_exclude) {
        static const char *const stream_names[SL_STREAMS] = { "stdout", "stderr" };
        size_t n_rules;
        struct sl_relabel_config *rules = job_rules(d, t->job_index, &n_rules);
        bool any = false;

        *ret_glob = *ret_exclude = NULL;
        t->streams = streams;
        for (int s = 0; s < SL_STREAMS; s++) {
                struct sl_label_set *ls = &t->labels[s];
                const char *host, *path, *exclude;

                t->dropped[s] = true;
                if (s > 0 && !streams) {
                        sl_label_set_copy(ls, &t->labels[0]);
                        t->dropped[s] = t->dropped[0];
                        break;
                }
                sl_label_set_copy(ls, in);
                if (streams)
                        sl_label_set_set_c(ls, STREAM_LABEL, stream_names[s]);
                if (!sl_relabel_process(rules, n_rules, ls))
                        continue;
                host = sl_label_set_get(ls, SL_STR_LIT("__host__"));
                if (host && strcmp(host, d->hostname) != 0)
                        continue;
                path = sl_label_set_get(ls, SL_STR_LIT("__path__"));
                exclude = sl_label_set_get(ls, SL_STR_LIT("__path_exclude__"));
                if (!*ret_glob && path) {
                        *ret_glob = sl_xstrdup(path);
                        *ret_exclude = exclude ? sl_xstrdup(exclude) : NULL;
                }
                sl_label_set_drop_internal(ls);
                if (ls->len == 0)
                        continue;
                t->dropped[s] = false;
                any = true;
        }
        for (int s = 0; s < SL_STREAMS; s++) {
                if (t->dropped[s])
                        sl_label_set_clear(&t->labels[s]);
                sl_label_set_to_kvs(&t->labels[s], &t->kvs[s]);
        }
        t->by_stream = streams && (t->dropped[0] != t->dropped[1] ||
                                   !sl_label_set_equal(&t->labels[0], &t->labels[1]));
        return any;
}

/* @path as a glob(3) pattern that matches only itself. */
static char *glob_escape(const char *path) {
        size_t n = strlen(path);
        char *out = sl_xmalloc(2 * n + 1), *o = out;

        for (const char *p = path; *p; p++) {
                if (strchr("*?[]\\", *p))
                        *o++ = '\\';
                *o++ = *p;
        }
        *o = '\0';
        return out;
}

static bool target_register(struct sl_discovery *d, struct sl_target *t) {
        int r = d->hooks.add_glob ? d->hooks.add_glob(d->hooks.userdata, t->glob, t) : 0;

        if (r < 0) {
                sl_discovery_warn(d, "cannot follow a target's files, ignoring it",
                                  "job=\"%s\" path=\"%s\" error=\"%s\"",
                                  d->config->scrape_configs[t->job_index].job_name, t->glob,
                                  strerror(-r));
                return false;
        }
        t->registered = true;
        t->refs++;
        d->stats.targets_added++;
        d->stats.targets_active++;
        return true;
}

static void target_unregister(struct sl_discovery *d, struct sl_target *t) {
        if (!t->registered)
                return;
        t->registered = false;
        d->stats.targets_active--;
        d->stats.targets_removed++;
        if (d->hooks.remove_glob)
                d->hooks.remove_glob(d->hooks.userdata, t);
        target_unref(t);
}

static void log_dropped(const struct sl_discovery *d, const struct sl_target *t,
                        const char *why) {
        if (sl_log_enabled(SL_LOG_DEBUG))
                sl_log_debug("target not followed", "job=\"%s\" group=\"%s\" id=\"%s\" reason=%s",
                             d->config->scrape_configs[t->job_index].job_name, t->group, t->id,
                             why);
}

/* Relabels a provider's target into @t (new or known); sets *@ret_glob.
 * Returns whether it is to be followed. */
static bool discovered_relabel(struct sl_discovery *d, struct sl_target *t,
                               const struct sl_discovered *in, char **ret_glob,
                               char **ret_exclude) {
        bool keep = target_relabel(d, t, &in->labels, in->streams, ret_glob, ret_exclude);

        if (keep && in->path) {
                /* A Docker container's log is its LogPath, whatever __path__ says. */
                free(*ret_glob);
                *ret_glob = glob_escape(in->path);
        }
        if (keep && !*ret_glob) {
                log_dropped(d, t, "no_path");
                return false;
        }
        if (!keep)
                log_dropped(d, t, "relabeling");
        return keep;
}

static struct sl_target *find_target(struct sl_discovery *d, size_t job, const char *group,
                                     const char *id) {
        for (struct sl_target *t = d->targets; t; t = t->next)
                if (t->registered && t->job_index == job && strcmp(t->group, group) == 0 &&
                    strcmp(t->id, id) == 0)
                        return t;
        return NULL;
}

void sl_discovery_group_set(struct sl_discovery *d, size_t job, enum sl_target_kind kind,
                            const char *group, const struct sl_discovered *targets, size_t n) {
        _cleanup_free_ struct sl_target **seen = sl_xcalloc(n + 1, sizeof(*seen));
        size_t n_seen = 0;

        for (size_t i = 0; i < n; i++) {
                const struct sl_discovered *in = &targets[i];
                struct sl_target *t = find_target(d, job, group, in->id);
                _cleanup_free_ char *glob = NULL, *exclude = NULL;
                bool dup = false;

                for (size_t k = 0; k < n_seen && t; k++)
                        dup = dup || seen[k] == t;
                if (dup)
                        continue; /* the same identity twice: the first wins */
                if (t) {
                        /* Known: relabeled again; its labels change in place as
                         * long as its files stay the same. */
                        struct sl_target *probe = target_new(d, kind, job, group, in->id);
                        bool keep = discovered_relabel(d, probe, in, &glob, &exclude);

                        if (keep && strcmp(glob, t->glob) == 0 &&
                            !strcmp(exclude ? exclude : "", t->path_exclude ? t->path_exclude : "")) {
                                for (int s = 0; s < SL_STREAMS; s++) {
                                        sl_label_set_copy(&t->labels[s], &probe->labels[s]);
                                        sl_label_set_to_kvs(&t->labels[s], &t->kvs[s]);
                                        t->dropped[s] = probe->dropped[s];
                                }
                                t->by_stream = probe->by_stream;
                                sl_label_set_copy(&t->discovered, &in->labels);
                                seen[n_seen++] = t;
                                target_free(d, probe);
                                continue;
                        }
                        /* Dropped now, or other files: the old target goes. */
                        target_unregister(d, t);
                        target_free(d, probe);
                        if (!keep) {
                                d->stats.targets_dropped++;
                                continue;
                        }
                        free(glob);
                        free(exclude);
                        glob = exclude = NULL;
                }
                t = target_new(d, kind, job, group, in->id);
                sl_label_set_copy(&t->discovered, &in->labels);
                if (!discovered_relabel(d, t, in, &glob, &exclude)) {
                        d->stats.targets_dropped++;
                        target_free(d, t);
                        continue;
                }
                t->glob = TAKE_PTR(glob);
                t->path_exclude = TAKE_PTR(exclude);
                if (!target_register(d, t)) {
                        target_free(d, t);
                        continue;
                }
                seen[n_seen++] = t;
        }

        /* What the report no longer has is gone. */
        for (struct sl_target *t = d->targets, *next; t; t = next) {
                bool kept = false;

                next = t->next;
                if (!t->registered || t->job_index != job || strcmp(t->group, group) != 0)
                        continue;
                for (size_t k = 0; k < n_seen && !kept; k++)
                        kept = seen[k] == t;
                if (!kept) {
                        /* The next target may be freed with this one's
                         * files released; only this one can go here. */
                        target_unregister(d, t);
                }
        }
}

void sl_discovery_groups_prune(struct sl_discovery *d, size_t job, const char *prefix,
                               const char *const *keep, size_t n_keep) {
        size_t plen = strlen(prefix);

        for (struct sl_target *t = d->targets, *next; t; t = next) {
                bool kept = false;

                next = t->next;
                if (!t->registered || t->job_index != job || strncmp(t->group, prefix, plen) != 0)
                        continue;
                for (size_t k = 0; k < n_keep && !kept; k++)
                        kept = strcmp(t->group, keep[k]) == 0;
                if (!kept)
                        target_unregister(d, t);
        }
}

/* ---- static targets ---------------------------------------------------- */

static void static_targets(struct sl_discovery *d, size_t job) {
        const struct sl_scrape_config *sc = &d->config->scrape_configs[job];

        for (size_t j = 0; j < sc->n_static_configs; j++) {
                const struct sl_static_config *st = &sc->static_configs[j];
                size_t n = st->n_targets ? st->n_targets : 1;
                struct sl_discovered *list = sl_xcalloc(n, sizeof(*list));
                char group[64];
                bool has_job = false;

                for (size_t k = 0; k < n; k++) {
                        struct sl_discovered *in = &list[k];

                        sl_label_set_init(&in->labels);
                        for (size_t l = 0; l < st->n_labels; l++) {
                                sl_label_set_set_c(&in->labels, st->labels[l].name,
                                                   st->labels[l].value);
                                has_job = has_job || strcmp(st->labels[l].name, "job") == 0;
                        }
                        if (st->path_glob)
                                sl_label_set_set_c(&in->labels, "__path__", st->path_glob);
                        in->id = st->n_targets ? st->targets[k] : "localhost";
                        sl_label_set_set_c(&in->labels, "__address__", in->id);
                        /* Loki needs a label; the job name is the natural one
                         * (sluice's own: Promtail adds none). */
                        if (!has_job)
                                sl_label_set_set_c(&in->labels, "job", sc->job_name);
                }
                snprintf(group, sizeof(group), "static/%zu", j);
                for (size_t k = 0; k < n; k++) {
                        struct sl_discovered *in = &list[k];
                        _cleanup_free_ char *glob = NULL, *exclude = NULL;
                        struct sl_target *t;
                        bool keep, dup = false;

                        for (struct sl_target *o = d->targets; o && !dup; o = o->next)
                                dup = o->kind == SL_TARGET_STATIC && o->job_index == job &&
                                      strcmp(o->group, group) == 0 && strcmp(o->id, in->id) == 0;
                        if (dup)
                                continue;
                        t = target_new(d, SL_TARGET_STATIC, job, group, in->id);
                        sl_label_set_copy(&t->discovered, &in->labels);
                        keep = target_relabel(d, t, &in->labels, false, &glob, &exclude);
                        /* Files may have labels of their own that relabeling
                         * keeps: the glob written is still followed. */
                        if (!keep || !glob) {
                                free(glob);
                                free(exclude);
                                glob = st->path_glob ? sl_xstrdup(st->path_glob) : NULL;
                                exclude = NULL;
                                t->dropped[0] = t->dropped[1] = true;
                                if (!glob) {
                                        log_dropped(d, t, keep ? "no_path" : "relabeling");
                                        d->stats.targets_dropped++;
                                        target_free(d, t);
                                        continue;
                                }
                        }
                        t->glob = TAKE_PTR(glob);
                        t->path_exclude = TAKE_PTR(exclude);
                }
                for (size_t k = 0; k < n; k++)
                        sl_label_set_release(&list[k].labels);
                free(list);
        }
}

/* ---- a static target's files, with the labels of where they are --------- */

/* Reads config.v2.json (and hostconfig.json) of directory @dir into @out.
 * Returns 1 when read, 0 when there is none, -errno when unreadable. */
static int read_container_meta(struct sl_discovery *d, const char *dir, struct sl_label_set *out,
                               struct stat *ret_st) {
        _cleanup_free_ char *cfg = sl_path_join(dir, "config.v2.json");
        _cleanup_free_ char *host = sl_path_join(dir, "hostconfig.json");
        _cleanup_free_ char *data = NULL;
        struct sl_docker_container c = { 0 };
        struct sl_docker_meta_options o = { .port = 80, .host_networking_host = "localhost" };
        size_t len = 0;
        int r;

        if (stat(cfg, ret_st) < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        r = sl_read_file(cfg, META_FILE_MAX, &data, &len);
        if (r == 0)
                r = sl_docker_container_parse(data, len, &c);
        if (r < 0) {
                d->stats.meta_read_errors++;
                sl_log_debug("cannot read a container's config.v2.json; its files get no "
                             "__meta_docker_* labels", "file=\"%s\" error=\"%s\"", cfg,
                             strerror(-r));
                sl_docker_container_release(&c);
                return r;
        }
        free(data);
        data = NULL;
        if (sl_read_file(host, META_FILE_MAX, &data, &len) == 0)
                (void)sl_docker_hostconfig_parse(data, len, &c);
        if (!*c.id) {
                /* config.v2.json always has it; else the directory names it. */
                const char *slash = strrchr(dir, '/');
                free(c.id);
                c.id = sl_xstrdup(slash ? slash + 1 : dir);
        }
        (void)sl_docker_container_meta(&c, &o, false, out);
        sl_docker_container_release(&c);
        return 1;
}

/* Builds the labels of file target @f (of static target @f->parent) and
 * relabels them. Returns whether any stream is kept. */
static bool file_relabel(struct sl_discovery *d, struct sl_target *f, const char *path) {
        struct sl_label_set in;
        struct stat st;
        _cleanup_free_ char *glob = NULL, *exclude = NULL;
        bool docker, keep;
        int r;

        sl_label_set_init(&in);
        sl_label_set_copy(&in, &f->parent->discovered);
        r = read_container_meta(d, f->dir, &in, &st);
        docker = r > 0;
        f->cfg_present = docker;
        if (docker) {
                f->cfg_ino = (uint64_t)st.st_ino;
                f->cfg_size = (uint64_t)st.st_size;
                f->cfg_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        }
        if (path)
                (void)sl_pod_path_labels(path, &in);
        keep = target_relabel(d, f, &in, docker, &glob, &exclude);
        sl_label_set_copy(&f->discovered, &in);
        sl_label_set_release(&in);
        return keep;
}

/* Whether the files of @dir have labels of their own. */
static bool has_own_labels(const char *dir, const char *path) {
        _cleanup_free_ char *cfg = sl_path_join(dir, "config.v2.json");
        struct sl_label_set probe;
        struct stat st;
        bool pod;

        if (stat(cfg, &st) == 0)
                return true;
        sl_label_set_init(&probe);
        pod = sl_pod_path_labels(path, &probe);
        sl_label_set_release(&probe);
        return pod;
}

struct sl_target *sl_discovery_file_target(struct sl_discovery *d, const char *path,
                                           struct sl_target *t) {
        _cleanup_free_ char *dir = NULL;
        struct sl_target *f;

        if (t->path_exclude && fnmatch(t->path_exclude, path, FNM_PATHNAME | FNM_PERIOD) == 0)
                return NULL;
        if (t->kind != SL_TARGET_STATIC) {
                if (all_dropped(t))
                        return NULL;
                t->refs++;
                return t;
        }
        dir = sl_path_dirname(path);
        for (f = d->targets; f; f = f->next) {
                if (f->kind == SL_TARGET_FILE && f->parent == t && strcmp(f->dir, dir) == 0) {
                        if (all_dropped(f))
                                return NULL;
                        f->refs++;
                        return f;
                }
        }
        if (!has_own_labels(dir, path)) {
                if (all_dropped(t))
                        return NULL;
                t->refs++;
                return t;
        }
        f = target_new(d, SL_TARGET_FILE, t->job_index, t->group, dir);
        f->parent = t;
        f->dir = TAKE_PTR(dir);
        d->stats.file_targets++;
        if (!file_relabel(d, f, path)) {
                log_dropped(d, f, "relabeling");
                target_free(d, f);
                return NULL;
        }
        f->refs = 1;
        return f;
}

void sl_discovery_file_released(struct sl_target *t) {
        target_unref(t);
}

struct sl_target *sl_discovery_file_retarget(struct sl_discovery *d, const char *path,
                                             struct sl_target *old,
                                             struct sl_target *glob_target) {
        struct sl_target *t = NULL;

        if (glob_target) {
                t = sl_discovery_file_target(d, path, glob_target);
        } else if (old->owner == d) {
                /* Adopted while its files are read to their end. */
                old->refs++;
                t = old;
        }
        if (t)
                target_unref(old);
        return t;
}

/* ---- a reload ------------------------------------------------------------ */

/* The index of the scrape config named @job_name in @d's config, or
 * SIZE_MAX. */
static size_t job_named(const struct sl_discovery *d, const char *job_name) {
        for (size_t i = 0; i < d->config->n_scrape_configs; i++)
                if (strcmp(d->config->scrape_configs[i].job_name, job_name) == 0)
                        return i;
        return SIZE_MAX;
}

/* Whether job @job of @d has the provider entry that reports @group
 * ("docker/<k>...", "kube/<k>/..."). */
static bool job_reports(const struct sl_discovery *d, size_t job, enum sl_target_kind kind,
                        const char *group) {
        const struct sl_discovery_config *dc = d->config->scrape_configs[job].discovery;
        const char *prefix = kind == SL_TARGET_DOCKER ? "docker/" : "kube/";
        size_t plen = strlen(prefix), k;
        char *end;

        if (!dc || strncmp(group, prefix, plen) != 0)
                return false;
        k = (size_t)strtoull(group + plen, &end, 10);
        if (end == group + plen)
                return false;
        return kind == SL_TARGET_DOCKER ? k < dc->n_docker : k < dc->n_kube;
}

void sl_discovery_adopt(struct sl_discovery *d, struct sl_discovery *old) {
        d->stats.targets_added += old->stats.targets_added;
        d->stats.targets_removed += old->stats.targets_removed;
        d->stats.targets_dropped += old->stats.targets_dropped;
        d->stats.meta_read_errors += old->stats.meta_read_errors;
        d->stats.meta_changes += old->stats.meta_changes;
        d->stats.refreshes += old->stats.refreshes;
        d->stats.refresh_errors += old->stats.refresh_errors;

        for (struct sl_target *t = old->targets, *next; t; t = next) {
                size_t job;
                struct sl_target *probe;
                _cleanup_free_ char *glob = NULL, *exclude = NULL;
                bool keep;

                next = t->next;
                if ((t->kind != SL_TARGET_DOCKER && t->kind != SL_TARGET_KUBE) || t->refs == 0)
                        continue;
                job = job_named(d, old->config->scrape_configs[t->job_index].job_name);
                if (job == SIZE_MAX || !job_reports(d, job, t->kind, t->group))
                        continue;
                /* Relabeled with the new rules; a target that would now be
                 * dropped, or read other files, stays behind (its files
                 * are let go). */
                probe = target_new(d, t->kind, job, t->group, t->id);
                keep = target_relabel(d, probe, &t->discovered, t->streams, &glob, &exclude);
                if (!keep || (t->kind != SL_TARGET_DOCKER && (!glob || strcmp(glob, t->glob)))) {
                        target_free(d, probe);
                        continue;
                }
                for (int s = 0; s < SL_STREAMS; s++) {
                        sl_label_set_copy(&t->labels[s], &probe->labels[s]);
                        sl_label_set_to_kvs(&t->labels[s], &t->kvs[s]);
                        t->dropped[s] = probe->dropped[s];
                }
                t->by_stream = probe->by_stream;
                target_free(d, probe);
                free(t->path_exclude);
                t->path_exclude = TAKE_PTR(exclude);

                /* Moved from @old's list to @d's. */
                if (t->prev)
                        t->prev->next = t->next;
                else
                        old->targets = t->next;
                if (t->next)
                        t->next->prev = t->prev;
                t->prev = NULL;
                t->next = d->targets;
                if (d->targets)
                        d->targets->prev = t;
                d->targets = t;
                t->owner = d;
                t->job_index = job;
                t->job = d->jobs[job];
                if (t->registered) {
                        old->stats.targets_active--;
                        d->stats.targets_active++;
                }
        }
}

size_t sl_discovery_globs(struct sl_discovery *d, const char ***ret_patterns,
                          void ***ret_targets) {
        size_t n = 0;

        for (struct sl_target *t = d->targets; t; t = t->next) {
                if (t->kind == SL_TARGET_STATIC && !t->registered && t->glob) {
                        t->registered = true;
                        t->refs++;
                        d->stats.targets_added++;
                        d->stats.targets_active++;
                }
                n += t->registered;
        }
        *ret_patterns = sl_xcalloc(n + 1, sizeof(**ret_patterns));
        *ret_targets = sl_xcalloc(n + 1, sizeof(**ret_targets));
        n = 0;
        for (struct sl_target *t = d->targets; t; t = t->next) {
                if (!t->registered)
                        continue;
                (*ret_patterns)[n] = t->glob;
                (*ret_targets)[n++] = t;
        }
        return n;
}

void sl_discovery_tick(struct sl_discovery *d) {
        for (struct sl_target *f = d->targets; f; f = f->next) {
                _cleanup_free_ char *cfg = NULL;
                struct stat st;
                bool same;

                if (f->kind != SL_TARGET_FILE)
                        continue;
                cfg = sl_path_join(f->dir, "config.v2.json");
                if (stat(cfg, &st) < 0)
                        continue; /* removed with its container: the labels stay */
                same = f->cfg_present && f->cfg_ino == (uint64_t)st.st_ino &&
                       f->cfg_size == (uint64_t)st.st_size &&
                       f->cfg_mtime_ns ==
                               (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
                if (same)
                        continue;
                /* Renamed, relabeled...: its lines carry the new labels from now
                 * on (all dropped: they are dropped). The path labels do not
                 * change; a file of the directory gives them again. */
                d->stats.meta_changes++;
                {
                        _cleanup_free_ char *any = sl_path_join(f->dir, "x");
                        sl_label_set_clear(&f->discovered);
                        (void)file_relabel(d, f, any);
                }
        }
}

/* ---- the whole ---------------------------------------------------------- */

void sl_discovery_warn(struct sl_discovery *d, const char *msg, const char *fmt, ...) {
        char detail[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        if (d->hooks.warn)
                d->hooks.warn(d->hooks.userdata, msg, detail);
}

void sl_discovery_count(struct sl_discovery *d, bool ok) {
        if (ok)
                d->stats.refreshes++;
        else
                d->stats.refresh_errors++;
}

struct sl_loop *sl_discovery_loop(struct sl_discovery *d) {
        return d->loop;
}

const char *sl_discovery_job_name(const struct sl_discovery *d, size_t job) {
        return d->config->scrape_configs[job].job_name;
}

const char *sl_discovery_hostname(const struct sl_discovery *d) {
        return d->hostname;
}

const struct sl_discovery_stats *sl_discovery_stats(const struct sl_discovery *d) {
        return &d->stats;
}

/* Appends @p to the providers, in the config's order. */
static void provider_add(struct sl_discovery *d, struct sl_provider *p) {
        struct sl_provider **tail = &d->providers;

        while (*tail)
                tail = &(*tail)->next;
        *tail = p;
}

int sl_discovery_new(const struct sl_config *config, struct sl_loop *loop,
                     const struct sl_discovery_hooks *hooks, void *const *job_userdata,
                     struct sl_discovery **ret, struct sl_cfg_error *err) {
        _cleanup_(sl_discovery_freep) struct sl_discovery *d = sl_xnew(struct sl_discovery);
        const char *h = getenv("HOSTNAME");

        d->config = config;
        d->loop = loop;
        d->hooks = *hooks;
        d->jobs = sl_xcalloc(config->n_scrape_configs + 1, sizeof(*d->jobs));
        for (size_t i = 0; i < config->n_scrape_configs; i++)
                d->jobs[i] = job_userdata ? job_userdata[i] : NULL;
        if (h && *h)
                snprintf(d->hostname, sizeof(d->hostname), "%s", h);
        else if (gethostname(d->hostname, sizeof(d->hostname) - 1) < 0)
                d->hostname[0] = '\0';

        for (size_t i = 0; i < config->n_scrape_configs; i++) {
                const struct sl_scrape_config *sc = &config->scrape_configs[i];
                const struct sl_discovery_config *dc = sc->discovery;

                static_targets(d, i);
                for (size_t k = 0; dc && k < dc->n_docker; k++) {
                        struct sl_provider *p = NULL;
                        int r = sl_docker_sd_new(d, i, k, &dc->docker[k], &p, err);

                        if (r < 0)
                                return r;
                        provider_add(d, p);
                }
                for (size_t k = 0; dc && k < dc->n_kube; k++) {
                        struct sl_provider *p = NULL;
                        int r = sl_kube_sd_new(d, i, k, &dc->kube[k], &p, err);

                        if (r < 0) {
                                snprintf(err->file, sizeof(err->file), "%s", config->file);
                                return r;
                        }
                        provider_add(d, p);
                }
        }
        *ret = TAKE_PTR(d);
        return 0;
}

void sl_discovery_start(struct sl_discovery *d) {
        for (struct sl_target *t = d->targets; t; t = t->next)
                if (t->kind == SL_TARGET_STATIC && !t->registered)
                        (void)target_register(d, t);
        for (struct sl_provider *p = d->providers; p; p = p->next)
                p->ops->start(p);
}

bool sl_discovery_synced(const struct sl_discovery *d) {
        for (const struct sl_provider *p = d->providers; p; p = p->next)
                if (!p->synced)
                        return false;
        return true;
}

void sl_discovery_free(struct sl_discovery *d) {
        if (!d)
                return;
        while (d->providers) {
                struct sl_provider *p = d->providers;
                d->providers = p->next;
                p->ops->free(p);
        }
        while (d->targets)
                target_free(d, d->targets);
        free(d->jobs);
        free(d);
}
