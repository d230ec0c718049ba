/* JSON -> YAML for `-o yaml`, over libyaml's emitter: block style, keys
 * sorted (as kubectl prints them), strings quoted whenever YAML would read
 * them back as something else ("true", "1", "", timestamps), multi-line
 * strings as literal blocks.
 *
 * Belongs in src/lib/sc-json (next to sc_json_from_yaml); it lives here
 * until that library's owner takes it. */
#ifndef SC_KUBECTL_SC_YAML_OUT_H
#define SC_KUBECTL_SC_YAML_OUT_H

#include <jansson.h>

#include "lib/sc-error.h"

/* The document as YAML text (ending in '\n'), or -1 with *err set. */
int sc_json_to_yaml(const json_t *value, char **out, sc_error_t *err);

#endif
