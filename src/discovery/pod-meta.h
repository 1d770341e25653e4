/* pod-meta.h - what is known of a Kubernetes pod's container: from the
 * kubelet's log path alone, or from the API's pod object (pure).
 *
 * The kubelet writes a container's log to
 *   /var/log/pods/<namespace>_<pod name>_<pod uid>/<container>/<restart>.log
 * Namespaces and pod names are DNS names and uids have no '_', so the
 * path alone says whose log it is: sl_pod_path_labels() gives the labels
 * namespace, pod, pod_uid and container (sluice's own, for static_configs
 * over that tree: no API, no RBAC).
 */
#ifndef SL_DISCOVERY_POD_META_H
#define SL_DISCOVERY_POD_META_H

#include <stdbool.h>

#include "discovery/label-set.h"

/* If @path is a kubelet container log (a directory named pods, then
 * <ns>_<pod>_<uid>/<container>/<file>), sets namespace, pod, pod_uid and
 * container in @out, each unless @out has it already, and returns true. */
bool sl_pod_path_labels(const char *path, struct sl_label_set *out);

#endif
