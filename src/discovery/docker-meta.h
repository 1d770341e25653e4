/* docker-meta.h - what Docker says about a container, and the
 * __meta_docker_* labels Promtail's docker_sd_configs gives it (pure).
 *
 * Three sources describe a container the same way:
 *   - the Engine API's list, GET /containers/json (one object per running
 *     container: Id, Names, Image, ImageID, Labels, HostConfig.NetworkMode,
 *     NetworkSettings.Networks, Ports);
 *   - the Engine API's inspection, GET /containers/<id>/json (Id, Name,
 *     Config.Image, Config.Labels, Image as the image ID, HostConfig,
 *     LogPath, State, NetworkSettings);
 *   - without the API, the files Docker keeps beside the log in
 *     /var/lib/docker/containers/<id>/: config.v2.json (shaped as the
 *     inspection, without HostConfig) and hostconfig.json (NetworkMode,
 *     LogConfig).
 * Parsing keeps what the labels need and LogPath and the log driver;
 * unknown keys are ignored; a value of the wrong type is left out.
 *
 * The labels are Prometheus' (discovery/moby/docker.go, as Promtail uses it):
 *   __meta_docker_container_id, _name, _network_mode, _image, _image_id,
 *   __meta_docker_container_label_<name> (the name with every character
 *     that is not [a-zA-Z0-9_] made '_'),
 *   __meta_docker_network_ip, _id, _name, _scope, _internal, _ingress,
 *     _label_<name> (the network's; what the API's network list says, or
 *     from config.v2.json only the id, name and ip),
 *   __meta_docker_port_private, _public, _public_ip (the first TCP port),
 *   __address__ (ip:private port, ip:the configured port, or the host
 *     networking host).
 * Prometheus makes one target per network and TCP port; Promtail keeps the
 * first one per container, and so does this: the first network by name
 * (all networks are sorted; with match_first_network, as by default, only
 * that one is looked at) and the first TCP port in the order listed.
 * __meta_docker_container_log_stream is set per line's stream by the
 * target (discovery/target.h), not here.
 */
#ifndef SL_DISCOVERY_DOCKER_META_H
#define SL_DISCOVERY_DOCKER_META_H

#include <stdbool.h>
#include <stddef.h>

#include "discovery/label-set.h"

struct sl_docker_network {
        char *name;                   /* owned; the key in NetworkSettings.Networks */
        char *id;                     /* owned; NetworkID */
        char *ip;                     /* owned; IPAddress, may be "" */
};

struct sl_docker_port {
        unsigned private_port;        /* PrivatePort (list) or the key's number (inspect) */
        unsigned public_port;         /* 0: not published */
        char *public_ip;              /* owned; may be "" */
        bool tcp;                     /* Type / the key's protocol is tcp */
};

struct sl_docker_container {
        char *id;                     /* owned; "" when not given */
        char *name;                   /* owned; with Docker's leading '/' ("/w40k-api") */
        char *image;                  /* owned; the image as named at creation, or NULL */
        char *image_id;               /* owned; sha256:..., or NULL */
        char *network_mode;           /* owned; HostConfig.NetworkMode, or NULL */
        char *log_path;               /* owned; LogPath, or NULL */
        char *log_driver;             /* owned; HostConfig.LogConfig.Type, or NULL */
        bool running;                 /* State.Running (the list holds running ones) */
        struct sl_label_set labels;   /* Config.Labels / Labels, names as Docker's */
        struct sl_docker_network *networks; /* owned, sorted by name */
        size_t n_networks;
        struct sl_docker_port *ports; /* owned, in the order given */
        size_t n_ports;
};

/* A network as the API's network list describes it (GET /networks). */
struct sl_docker_network_info {
        char *id;                     /* owned */
        char *name;                   /* owned */
        char *scope;                  /* owned */
        bool internal;
        bool ingress;
        struct sl_label_set labels;   /* names as Docker's */
};

void sl_docker_container_release(struct sl_docker_container *c);
void sl_docker_containers_free(struct sl_docker_container *c, size_t n);
void sl_docker_networks_free(struct sl_docker_network_info *n, size_t count);

/* Reads an inspection document (the API's, or config.v2.json) into @c
 * (zeroed by the caller). Returns 0 or -EBADMSG (not a JSON object). */
int sl_docker_container_parse(const char *json, size_t len, struct sl_docker_container *c);
/* Reads hostconfig.json (NetworkMode, LogConfig.Type) into @c. Returns 0
 * or -EBADMSG. */
int sl_docker_hostconfig_parse(const char *json, size_t len, struct sl_docker_container *c);
/* Reads the API's container list into a new array. Returns 0 or -EBADMSG. */
int sl_docker_container_list_parse(const char *json, size_t len,
                                   struct sl_docker_container **ret, size_t *ret_n);
/* Reads the API's network list into a new array. Returns 0 or -EBADMSG. */
int sl_docker_network_list_parse(const char *json, size_t len,
                                 struct sl_docker_network_info **ret, size_t *ret_n);

/* Gives a container without networks of its own, in network mode
 * container:<id>, the networks of that container (followed through such
 * modes), as Prometheus looks them up. */
void sl_docker_containers_share_networks(struct sl_docker_container *cs, size_t n);

struct sl_docker_meta_options {
        unsigned port;                /* docker_sd_configs' port (default 80) */
        const char *host_networking_host; /* default "localhost" */
        const struct sl_docker_network_info *networks; /* borrowed; NULL: unknown */
        size_t n_networks;
};

/* Adds @c's __meta_docker_* labels and __address__ to @out. Returns false
 * when Prometheus would make no target for it (no network at all) and
 * @need_network is set; the common labels are added either way. */
bool sl_docker_container_meta(const struct sl_docker_container *c,
                              const struct sl_docker_meta_options *opts, bool need_network,
                              struct sl_label_set *out);

/* @name with every character that is not [a-zA-Z0-9_] made '_' (one per
 * UTF-8 character), appended to @prefix: a new string. */
char *sl_docker_label_name(const char *prefix, const char *name);

#endif
