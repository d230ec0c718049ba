/* The image configuration (ENTRYPOINT, CMD, ENV, WORKDIR, USER) of the
 * provider's image, read from containerd's content store on the node, so the
 * workload can run as `docker run IMAGE` would. The provider itself runs
 * sc-pause as nobody, so its process cannot tell us any of this.
 *
 * From the pod status imageID ("repo@sha256:<manifest or index>" or
 * "sha256:<config>"), follow index -> manifest (linux/amd64) -> config blob
 * by blob in <content-root>/blobs/sha256/<hex>. Blobs are read with a size
 * cap; digests are validated (64 lower-case hex) before they become paths. */
#ifndef SC_IMAGECONFIG_H
#define SC_IMAGECONFIG_H

#include <jansson.h>

#include "lib/sc-error.h"

#define SC_IMAGE_BLOB_MAX (4u << 20)

/* Reads the blob of digest hex (64 lower-case hex characters, already
 * validated) into *out (parsed JSON). */
typedef int (*sc_blob_reader)(void *data, const char *hex, json_t **out, sc_error_t *err);

/* The digest in an imageID, as 64 hex characters into hex[65]. */
int sc_image_digest(const char *image_id, char hex[65], sc_error_t *err);

/* Follows index/manifest/config and returns the status.imageConfig object
 * ({entrypoint, cmd, env, workingDir, user}, absent fields left out). */
int sc_image_config_resolve(const char *image_id, sc_blob_reader read, void *data, json_t **out,
			    sc_error_t *err);

/* A reader over <root>/blobs/sha256/ (root: containerd's content store,
 * e.g. /var/lib/containerd/io.containerd.content.v1.content). */
int sc_content_store_read(void *root, const char *hex, json_t **out, sc_error_t *err);

#endif
