/* discovery-internal.h - what the providers (docker-sd.c, kube-sd.c) and
 * discovery.c share; not for the agent.
 *
 * A provider reports targets in groups, as Prometheus' discovery does: a
 * group (one Docker daemon's containers; one pod's containers) is replaced
 * whole by each report, and discovery.c turns the difference into targets
 * added, kept (relabeled in place when their labels changed) and removed.
 */
#ifndef SL_DISCOVERY_DISCOVERY_INTERNAL_H
#define SL_DISCOVERY_DISCOVERY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/discovery-config.h"
#include "discovery/discovery.h"
#include "discovery/label-set.h"

/* One target as a provider found it, before relabeling. */
struct sl_discovered {
        const char *id;                /* borrowed; its identity in the group (a container
                                        * id, a pod uid and container name) */
        struct sl_label_set labels;    /* borrowed by sl_discovery_group_set() */
        const char *path;              /* borrowed; the file to read as it is named (a
                                        * Docker LogPath), or NULL: the __path__ glob */
        bool streams;                  /* relabel per stream (Docker containers) */
};

struct sl_provider;

struct sl_provider_ops {
        const char *name;              /* "docker_sd", "kubernetes_sd" */
        void (*start)(struct sl_provider *p);
        void (*free)(struct sl_provider *p);
};

/* Every provider embeds this as its first member. */
struct sl_provider {
        const struct sl_provider_ops *ops;
        struct sl_discovery *d;        /* borrowed back-pointer */
        size_t job;                    /* index of its scrape config */
        size_t index;                  /* its entry among the job's docker_sd_configs
                                        * (or kubernetes_sd_configs): its groups are
                                        * named after it, so that a reloaded config's
                                        * provider of the same entry takes them over */
        bool synced;                   /* answered (or failed) at least once */
        struct sl_provider *next;      /* discovery's list */
};

/* Replaces group @group of job @job by @targets. */
void sl_discovery_group_set(struct sl_discovery *d, size_t job, enum sl_target_kind kind,
                            const char *group, const struct sl_discovered *targets, size_t n);
/* Removes every group of @job whose name starts with @prefix and is not in
 * @keep (@n_keep names). */
void sl_discovery_groups_prune(struct sl_discovery *d, size_t job, const char *prefix,
                               const char *const *keep, size_t n_keep);
/* Tells the agent (warn hook). */
void sl_discovery_warn(struct sl_discovery *d, const char *msg, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Counts a provider's answer or failure. */
void sl_discovery_count(struct sl_discovery *d, bool ok);
struct sl_loop *sl_discovery_loop(struct sl_discovery *d);
/* The job_name of scrape config @job. Borrowed. */
const char *sl_discovery_job_name(const struct sl_discovery *d, size_t job);
/* This host's name ($HOSTNAME, else gethostname()). Borrowed. */
const char *sl_discovery_hostname(const struct sl_discovery *d);

/* Providers' constructors (docker-sd.c, kube-sd.c). */
int sl_docker_sd_new(struct sl_discovery *d, size_t job, size_t index,
                     const struct sl_docker_sd_config *cfg, struct sl_provider **ret,
                     struct sl_cfg_error *err);
int sl_kube_sd_new(struct sl_discovery *d, size_t job, size_t index,
                   const struct sl_kube_sd_config *cfg, struct sl_provider **ret,
                   struct sl_cfg_error *err);

#endif
