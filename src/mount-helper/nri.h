/* The mount-helper's NRI plugin (the runtime path of docs/architecture.md,
 * "Restricted Pod Security and the runtime"): installs sc-rootfs-hook on the
 * host, connects to the runtime's NRI socket, and adds the hook to the
 * workload container of every consumer pod that asks for the runtime path
 * (annotation stoppablecontainer.xtlsoft.top/rootfs-mode: runtime). A
 * missing socket is no error: the node then offers only today's path. */
#ifndef SC_MH_NRI_H
#define SC_MH_NRI_H

#include <stdbool.h>

#include "lib/sc-api.h"
#include "lib/sc-error.h"
#include "mount-helper/agent.h"

#define SC_NRI_PLUGIN_NAME "stoppablecontainer"
#define SC_NRI_PLUGIN_IDX  "50"

struct sc_mh_nri_options {
	const char *socket;   /* the runtime's NRI socket */
	const char *hook_src; /* sc-rootfs-hook in this image */
	const char *hook_dir; /* host directory it is copied to */
	struct sc_agent *agent;
};

/* Install the hook and start the plugin's thread (it reconnects whenever the
 * runtime goes away). */
int sc_mh_nri_start(const struct sc_mh_nri_options *o, sc_error_t *err);
/* Registered with the runtime right now. */
bool sc_mh_nri_registered(void);

#endif
