/* libFuzzer target: the mountinfo parser and the overlay layer extraction,
 * which read text a workload can influence (mount points, layer paths). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "node/sc-mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_mountinfo mi = {0};
	sc_error_t err = NULL;
	if (sc_mountinfo_parse((const char *)data, size, &mi, &err) < 0) {
		sc_error_release(&err);
		return 0;
	}
	for (size_t i = 0; i < mi.n; i++) {
		const struct sc_mount *m = &mi.mounts[i];
		(void)sc_mountinfo_find(&mi, m->mount_point);
		(void)sc_mountinfo_stacked_on(&mi, m);
		(void)sc_mount_shared_group(m);
		struct sc_overlay_layers l = {0};
		if (sc_mount_overlay_layers(m, &l, &err) == 0) {
			/* every resolved layer is absolute */
			for (size_t j = 0; l.lowerdirs[j] != NULL; j++)
				if (l.lowerdirs[j][0] != '/')
					__builtin_trap();
		}
		sc_error_release(&err);
		sc_overlay_layers_free(&l);
	}
	sc_mountinfo_free(&mi);
	return 0;
}
