#include "lib/sc-validate.h"
#include "sc-test.h"

#define VALID(fn, v)                                                                          \
	do {                                                                                  \
		cleanup_error sc_error_t e_ = NULL;                                           \
		if (fn("name", (v), &e_) != 0)                                                \
			sc_test_fail(__FILE__, __LINE__, "%s(\"%s\") rejected: %s", #fn, (v), \
				     sc_error_message(e_));                                   \
	} while (0)
#define INVALID(fn, v, msg)                                                             \
	do {                                                                            \
		cleanup_error sc_error_t e_ = NULL;                                     \
		if (fn("name", (v), &e_) != -1)                                         \
			sc_test_fail(__FILE__, __LINE__, "%s accepted bad value", #fn); \
		SC_ASSERT_STR_CONTAINS(e_->message, msg);                               \
	} while (0)

SC_TEST(labels)
{
	VALID(sc_validate_dns1123_label, "my-app");
	VALID(sc_validate_dns1123_label, "a");
	VALID(sc_validate_dns1123_label, "0abc9");
	INVALID(sc_validate_dns1123_label, "", "must not be empty");
	INVALID(sc_validate_dns1123_label, "My-App", "lower case");
	INVALID(sc_validate_dns1123_label, "-a", "start and end");
	INVALID(sc_validate_dns1123_label, "a-", "start and end");
	INVALID(sc_validate_dns1123_label, "a.b", "lower case");
	INVALID(sc_validate_dns1123_label, "../etc", "lower case");
	INVALID(sc_validate_dns1123_label,
		"a123456789012345678901234567890123456789012345678901234567890123", "63");
	INVALID(sc_validate_dns1123_label, NULL, "missing");
}

SC_TEST(subdomains)
{
	VALID(sc_validate_dns1123_subdomain, "stoppablecontainer.xtlsoft.top");
	VALID(sc_validate_dns1123_subdomain, "a");
	INVALID(sc_validate_dns1123_subdomain, "a..b", "subdomain");
	INVALID(sc_validate_dns1123_subdomain, ".a", "subdomain");
	INVALID(sc_validate_dns1123_subdomain, "a/b", "subdomain");
	INVALID(sc_validate_dns1123_subdomain, "A.b", "subdomain");
}

SC_TEST(path_components)
{
	VALID(sc_validate_path_component, "abc");
	VALID(sc_validate_path_component, "...");
	INVALID(sc_validate_path_component, "..", "'..'");
	INVALID(sc_validate_path_component, ".", "'.'");
	INVALID(sc_validate_path_component, "a/b", "'/'");
	INVALID(sc_validate_path_component, "", "empty");
}

SC_TEST(uids)
{
	VALID(sc_validate_uid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	INVALID(sc_validate_uid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f", "expected a UID");
	INVALID(sc_validate_uid, "0f1e2d3c-4b5a-6978-8796/a5b4c3d2e1f0", "expected a UID");
	INVALID(sc_validate_uid, "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", "expected a UID");
	INVALID(sc_validate_uid, "../../../../../../../../../../../etc", "expected a UID");
}

SC_TEST(absolute_paths)
{
	VALID(sc_validate_abs_path, "/var/lib/stoppablecontainer");
	VALID(sc_validate_abs_path, "/");
	INVALID(sc_validate_abs_path, "var/lib", "absolute");
	INVALID(sc_validate_abs_path, "/var/../etc", "'..'");
	INVALID(sc_validate_abs_path, "/var//lib", "empty");
	INVALID(sc_validate_abs_path, "/var/./lib", "'.'");
	INVALID(sc_validate_abs_path, "/var/lib/", "end with");
}

int main(void)
{
	return sc_test_run();
}
