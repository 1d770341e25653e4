/* pod-meta.h - what is known of a Kubernetes pod's container: from the
 * kubelet's log path alone, or from the API's pod object (pure).
 *
 * The kubelet writes a container's log to
 *   /var/log/pods/<namespace>_<pod name>_<pod uid>/<container>/<restart>.log
 * Namespaces and pod names are DNS names and uids have no '_', so the
 * path alone says whose log it is: sl_pod_path_labels() gives the labels
 * namespace, pod, pod_uid and container (sluice's own, for static_configs
 * over that tree: no API, no RBAC).
 *
 * From the API, a pod object gives Prometheus' pod role targets
 * (discovery/kubernetes/pod.go, as Promtail embeds it): the pod's labels
 *   __meta_kubernetes_namespace, __meta_kubernetes_pod_name, _uid, _ip,
 *   _ready (its Ready condition in lower case, else "unknown"), _phase,
 *   _node_name, _host_ip, _label_<name> and _labelpresent_<name>,
 *   _annotation_<name> and _annotationpresent_<name> (names with every
 *   character that is not [a-zA-Z0-9_] made '_'), _controller_kind and
 *   _controller_name (the owner reference marked controller);
 * and one target per container and port (one per container without ports;
 * containers first, then init containers):
 *   __address__ (pod ip, or ip:port), _container_name, _container_id (from
 *   the container's status), _container_image, _container_init, and with a
 *   port _container_port_name, _number and _protocol.
 * A pod without an IP (starting, evicted) has no targets, as in Prometheus.
 */
#ifndef SL_DISCOVERY_POD_META_H
#define SL_DISCOVERY_POD_META_H

#include <stdbool.h>
#include <stddef.h>

#include "discovery/label-set.h"

struct json_t;

struct sl_pod_target {
        char *container;              /* owned; the container's name */
        struct sl_label_set labels;   /* the pod's labels and the target's */
};

struct sl_pod {
        char *ns;                     /* owned; metadata.namespace */
        char *name;                   /* owned; metadata.name */
        char *uid;                    /* owned; metadata.uid, "" if none */
        char *resource_version;       /* owned; metadata.resourceVersion, or NULL */
        struct sl_pod_target *targets; /* owned */
        size_t n_targets;
};

/* Reads pod object @obj (jansson) into @ret (zeroed by the caller).
 * Returns 0, or -EBADMSG when it is not a pod (no metadata.name, or an
 * empty one). */
int sl_pod_parse(struct json_t *obj, struct sl_pod *ret);
/* The same from JSON text. */
int sl_pod_parse_text(const char *json, size_t len, struct sl_pod *ret);
void sl_pod_release(struct sl_pod *pod);

/* If @path is a kubelet container log (a directory named pods, then
 * <ns>_<pod>_<uid>/<container>/<file>), sets namespace, pod, pod_uid and
 * container in @out, each unless @out has it already, and returns true. */
bool sl_pod_path_labels(const char *path, struct sl_label_set *out);

#endif
