/* libFuzzer target: the /proc/PID/cgroup parser and the container matcher. */
#include <stddef.h>
#include <stdint.h>

#include "node/sc-cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_cgroup cg = {0};
	sc_error_t err = NULL;
	if (sc_cgroup_parse((const char *)data, size, &cg, &err) < 0) {
		sc_error_release(&err);
		return 0;
	}
	int r = sc_cgroup_belongs(
	    &cg, "6b0f3c1e-8d2a-4f5b-9c3d-2e1a0b9c8d7f",
	    "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e", &err);
	if (r < 0)
		__builtin_trap(); /* the arguments are valid: never an error */
	sc_cgroup_free(&cg);
	return 0;
}
