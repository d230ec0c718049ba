/* libFuzzer: arbitrary bytes as a kubeconfig. Anything may fail, nothing
 * may crash, leak or read out of bounds. The file name puts relative paths
 * under a directory that does not exist, so no real file is read. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/sc-kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A tokenFile of /dev/stdin or a FIFO would block, as it would for
	 * kubectl: not a parser bug, so keep the fuzzer away from it. */
	if (memmem(data, size, "/dev", 4) != NULL || memmem(data, size, "/proc", 5) != NULL ||
	    memmem(data, size, "/sys", 4) != NULL)
		return 0;
	struct sc_kube_config *cfg = NULL;
	sc_error_t err = NULL;
	if (sc_kube_config_from_data("/nonexistent-fuzz-dir/kubeconfig", (const char *)data, size,
				     NULL, &cfg, &err) == 0) {
		struct sc_kube_config *dup = sc_kube_config_dup(cfg);
		sc_kube_config_free(dup);
		sc_kube_config_free(cfg);
	} else {
		/* every error has a message */
		if (sc_error_message(err)[0] == '\0')
			__builtin_trap();
		sc_error_release(&err);
	}
	return 0;
}
