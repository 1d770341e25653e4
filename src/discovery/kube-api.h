/* kube-api.h - how to reach the Kubernetes API for kubernetes_sd_configs.
 *
 * As Prometheus (client-go) decides:
 *   - api_server given: that URL, with bearer_token / bearer_token_file and
 *     tls_config;
 *   - kubeconfig_file given: its current context's cluster (server,
 *     certificate-authority[-data], insecure-skip-tls-verify,
 *     tls-server-name) and user (token, tokenFile, client-certificate[-data]
 *     and client-key[-data]); relative paths are relative to the file;
 *     exec plugins, auth providers and passwords are refused;
 *   - neither: in-cluster, https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
 *     with the service account's token (re-read at every request, as it is
 *     rotated) and CA in the service account directory
 *     (/var/run/secrets/kubernetes.io/serviceaccount), and its namespace
 *     for namespaces.own_namespace.
 * Owns: every string of struct sl_kube_api.
 */
#ifndef SL_DISCOVERY_KUBE_API_H
#define SL_DISCOVERY_KUBE_API_H

#include <stdbool.h>
#include <stddef.h>

#include "config/discovery-config.h"

#define SL_KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct sl_kube_api {
        char *server;                 /* owned; https://host:port, no trailing '/' */
        char *token;                  /* owned; or NULL */
        char *token_file;             /* owned; or NULL */
        char *ca_file;                /* owned; or NULL */
        char *ca_pem;                 /* owned; certificate-authority-data, or NULL */
        char *cert_file, *key_file;   /* owned; or NULL */
        char *cert_pem, *key_pem;     /* owned; client-*-data, or NULL */
        char *server_name;            /* owned; or NULL */
        bool insecure;
        char *own_namespace;          /* owned; in-cluster with own_namespace, or NULL */
};

/* Resolves how to reach the API for @cfg; @sa_dir is the service account
 * directory (SL_KUBE_SA_DIR). Returns 0, or -EINVAL with the reason in
 * @errbuf. */
int sl_kube_api_resolve(const struct sl_kube_sd_config *cfg, const char *sa_dir,
                        struct sl_kube_api *ret, char *errbuf, size_t errlen);
void sl_kube_api_release(struct sl_kube_api *api);

#endif
