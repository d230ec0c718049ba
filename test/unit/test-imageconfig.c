/* The image configuration of a provider's image (src/node/
 * sc-imageconfig.c): from the pod status imageID through an index or
 * manifest list, a manifest and the config blob to ENTRYPOINT, CMD, ENV,
 * WORKDIR and USER.
 *
 * Most cases use a reader of this test's own: an in-memory content store
 * (digest -> JSON text), parsed as sc_content_store_read parses. It also
 * records every digest it is asked for, so a digest that was not validated
 * before becoming a path is seen. The last cases run sc_content_store_read,
 * the reader the agent uses, over a temporary directory laid out as
 * containerd's (blobs/sha256/<hex>).
 *
 * The digests here are not the sha256 of their blobs: neither the resolver
 * (it is handed parsed JSON) nor sc_content_store_read checks them. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sc-json.h"
#include "lib/sc-util.h"
#include "node/sc-imageconfig.h"
#include "sc-test.h"

/* 64-character digests from a repeated one- or two-character pattern. */
#define R2(x)     x x
#define R4(x)     R2(x) R2(x)
#define R8(x)     R4(x) R4(x)
#define R16(x)    R8(x) R8(x)
#define R32(x)    R16(x) R16(x)
#define HEX(c)    R32(R2(c))
#define HEX2(cc)  R32(cc)
#define DIGEST(h) "sha256:" h

/* ---- documents as containerd stores them ---- */

#define DOCKER_CONFIG_MT "application/vnd.docker.container.image.v1+json"
#define OCI_MANIFEST_MT  "application/vnd.oci.image.manifest.v1+json"

/* A Docker v2 manifest of config `cfg`. */
#define DOCKER_MANIFEST(cfg)                                                      \
	"{\"schemaVersion\":2,"                                                   \
	"\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"," \
	"\"config\":{\"mediaType\":\"" DOCKER_CONFIG_MT "\",\"size\":1469,"       \
	"\"digest\":\"" DIGEST(cfg) "\"},"                                        \
				    "\"layers\":[{\"mediaType\":\"application/"   \
				    "vnd.docker.image.rootfs.diff.tar.gzip\","    \
				    "\"size\":3370706,\"digest\":\"" DIGEST(HEX("e")) "\"}]}"

/* An OCI manifest of config `cfg`. */
#define OCI_MANIFEST(cfg)                                                                      \
	"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MANIFEST_MT "\","                          \
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","              \
	"\"size\":612,\"digest\":\"" DIGEST(                                                   \
	    cfg) "\"},"                                                                        \
		 "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\"," \
		 "\"size\":1024,\"digest\":\"" DIGEST(HEX("e")) "\"}]}"

/* A config whose only setting is Cmd [word], so the one chosen shows. */
#define CMD_CONFIG(arch, word)                                                                 \
	"{\"architecture\":\"" arch "\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"" word "\"]}," \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DIGEST(HEX("d")) "\"]}}"

/* An index entry: a manifest descriptor, with `platform` appended. */
#define ENTRY(hex, platform)                \
	"{\"mediaType\":\"" OCI_MANIFEST_MT \
	"\",\"size\":1234,\"digest\":\"" DIGEST(hex) "\"" platform "}"
#define PLATFORM(os, arch) ",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\"}"
#define PLATFORM_V(os, arch, variant)                                                           \
	",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\",\"variant\":\"" variant \
	"\"}"
/* What buildkit writes next to the image manifests for provenance. */
#define ATTESTATION_ENTRY(hex, of)                                                  \
	"{\"mediaType\":\"" OCI_MANIFEST_MT "\",\"size\":839,\"digest\":\"" DIGEST( \
	    hex) "\","                                                              \
		 "\"annotations\":{\"vnd.docker.reference.digest\":\"" DIGEST(      \
		     of) "\","                                                      \
			 "\"vnd.docker.reference.type\":\"attestation-manifest\"}," \
			 "\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}"
#define ATTESTATION_MANIFEST(cfg)                                                             \
	"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MANIFEST_MT "\","                         \
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","             \
	"\"size\":167,\"digest\":\"" DIGEST(                                                  \
	    cfg) "\"},"                                                                       \
		 "\"layers\":[{\"mediaType\":\"application/vnd.in-toto+json\",\"size\":1500," \
		 "\"digest\":\"" DIGEST(                                                      \
		     HEX("f")) "\","                                                          \
			       "\"annotations\":{\"in-toto.io/predicate-type\":\"https://"    \
			       "slsa.dev/provenance/v0.2\"}}]}"
#define ATTESTATION_CONFIG                                                \
	"{\"architecture\":\"unknown\",\"os\":\"unknown\",\"config\":{}," \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DIGEST(HEX("f")) "\"]}}"

/* An index of the given entries (NULL-terminated), as buildkit and docker
 * write them; the caller frees it. */
static char *index_of(const char *media_type, ...)
{
	cleanup_free char *entries = sc_xstrdup("");
	va_list ap;
	va_start(ap, media_type);
	for (const char *e; (e = va_arg(ap, const char *)) != NULL;) {
		char *joined = sc_xasprintf("%s%s%s", entries, *entries ? "," : "", e);
		free(entries);
		entries = joined;
	}
	va_end(ap);
	return sc_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[%s]}",
			    media_type, entries);
}
#define OCI_INDEX_MT   "application/vnd.oci.image.index.v1+json"
#define DOCKER_LIST_MT "application/vnd.docker.distribution.manifest.list.v2+json"

/* A full config as docker build writes it. */
#define FULL_CONFIG                                                                              \
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-05-01T10:00:00Z\","     \
	"\"config\":{\"User\":\"1000:1000\",\"ExposedPorts\":{\"8080/tcp\":{}},"                 \
	"\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","        \
	"\"APP_HOME=/srv/app\",\"EMPTY=\"],"                                                     \
	"\"Entrypoint\":[\"/docker-entrypoint.sh\",\"--\"],"                                     \
	"\"Cmd\":[\"serve\",\"--port\",\"8080\"],"                                               \
	"\"WorkingDir\":\"/srv/app\",\"Labels\":null,\"OnBuild\":null,"                          \
	"\"StopSignal\":\"SIGQUIT\"},"                                                           \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DIGEST(                               \
	    HEX("d")) "\"]},"                                                                    \
		      "\"history\":[{\"created_by\":\"/bin/sh -c #(nop)  CMD [\\\"serve\\\"]\"," \
		      "\"empty_layer\":true}]}"
#define FULL_OUTPUT                                                                       \
	"{\"entrypoint\":[\"/docker-entrypoint.sh\",\"--\"],"                             \
	"\"cmd\":[\"serve\",\"--port\",\"8080\"],"                                        \
	"\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"," \
	"\"APP_HOME=/srv/app\",\"EMPTY=\"],"                                              \
	"\"workingDir\":\"/srv/app\",\"user\":\"1000:1000\"}"

/* ---- the in-memory reader ---- */

struct blob {
	const char *hex;
	const char *json;
};

struct store {
	const struct blob *blobs;
	size_t n;
	int reads;
	char read[8][65]; /* the digests asked for, in order */
	bool bad_digest;  /* asked for something that is not 64 lower-case hex */
};

#define STORE(...)                                                                    \
	{                                                                             \
		.blobs = (const struct blob[]){__VA_ARGS__},                          \
		.n = sizeof((const struct blob[]){__VA_ARGS__}) / sizeof(struct blob) \
	}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int mem_read(void *data, const char *hex, json_t **out, sc_error_t *err)
{
	struct store *s = data;
	if (hex == NULL || !is_hex64(hex)) {
		s->bad_digest = true;
		return sc_error_make(err, EINVAL, "the test reader was given a bad digest");
	}
	if (s->reads < 8)
		memcpy(s->read[s->reads], hex, 65);
	s->reads++;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->blobs[i].hex, hex) == 0)
			return sc_json_parse(s->blobs[i].json, strlen(s->blobs[i].json), out, err);
	return sc_error_make(err, ENOENT, "blob %s not found", hex);
}

static int resolve(struct store *s, const char *image_id, json_t **out, sc_error_t *err)
{
	s->reads = 0;
	s->bad_digest = false;
	return sc_image_config_resolve(image_id, mem_read, s, out, err);
}

#define SC_ASSERT_JSON(got, want)                                                         \
	do {                                                                              \
		json_t *g_ = (got);                                                       \
		json_t *w_ = json_loads((want), 0, NULL);                                 \
		SC_ASSERT(w_ != NULL);                                                    \
		if (!json_equal(g_, w_)) {                                                \
			char *gs_ = sc_json_dumps(g_);                                    \
			sc_test_fail(__FILE__, __LINE__, "got %s, want %s", gs_, (want)); \
		}                                                                         \
		json_decref(w_);                                                          \
	} while (0)

/* Resolves to the expected output with `reads` blobs read. */
#define EXPECT_CONFIG(store, image_id, want, nreads)                                  \
	do {                                                                          \
		cleanup_error sc_error_t e_ = NULL;                                   \
		cleanup_json json_t *o_ = NULL;                                       \
		int r_ = resolve((store), (image_id), &o_, &e_);                      \
		if (r_ != 0)                                                          \
			sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(e_)); \
		SC_ASSERT(e_ == NULL);                                                \
		SC_ASSERT_JSON(o_, (want));                                           \
		SC_ASSERT_INT_EQ((store)->reads, (nreads));                           \
		SC_ASSERT(!(store)->bad_digest);                                      \
	} while (0)

/* Fails with `code`, a message containing `text`, and *out untouched. */
#define EXPECT_ERROR(store, image_id, ecode, etext)                           \
	do {                                                                  \
		cleanup_error sc_error_t e_ = NULL;                           \
		json_t *o_ = NULL;                                            \
		SC_ASSERT_INT_EQ(resolve((store), (image_id), &o_, &e_), -1); \
		SC_ASSERT(o_ == NULL);                                        \
		SC_ASSERT(e_ != NULL);                                        \
		SC_ASSERT_INT_EQ(e_->code, (ecode));                          \
		SC_ASSERT_STR_CONTAINS(sc_error_message(e_), (etext));        \
		SC_ASSERT(!(store)->bad_digest);                              \
	} while (0)

/* ---- manifests, indexes, platforms ---- */

SC_TEST(docker_v2_manifest_gives_entrypoint_cmd_env_workdir_user)
{
	struct store s =
	    STORE({HEX2("a1"), DOCKER_MANIFEST(HEX2("c1"))}, {HEX2("c1"), FULL_CONFIG});
	EXPECT_CONFIG(&s, "library/app@" DIGEST(HEX2("a1")), FULL_OUTPUT, 2);
	SC_ASSERT_STR_EQ(s.read[0], HEX2("a1"));
	SC_ASSERT_STR_EQ(s.read[1], HEX2("c1"));
}

SC_TEST(image_id_of_the_config_itself_reads_one_blob)
{
	/* containerd reports "sha256:<config>" for an image it has no repo
	 * digest of (imported, or built on the node). */
	struct store s = STORE({HEX2("c1"), FULL_CONFIG});
	EXPECT_CONFIG(&s, DIGEST(HEX2("c1")), FULL_OUTPUT, 1);
}

SC_TEST(oci_index_chooses_linux_amd64_among_platforms_and_attestations)
{
	/* The attestation is first, amd64 fourth: neither order nor the
	 * first entry decides. */
	cleanup_free char *index = index_of(OCI_INDEX_MT, ATTESTATION_ENTRY(HEX2("f1"), HEX2("23")),
					    ENTRY(HEX2("21"), PLATFORM_V("linux", "arm64", "v8")),
					    ENTRY(HEX2("22"), PLATFORM_V("linux", "arm", "v7")),
					    ENTRY(HEX2("23"), PLATFORM("linux", "amd64")),
					    ENTRY(HEX2("24"), PLATFORM("linux", "s390x")), NULL);
	struct store s = STORE(
	    {HEX2("11"), index}, {HEX2("f1"), ATTESTATION_MANIFEST(HEX2("f2"))},
	    {HEX2("f2"), ATTESTATION_CONFIG}, {HEX2("21"), OCI_MANIFEST(HEX2("31"))},
	    {HEX2("31"), CMD_CONFIG("arm64", "arm64")}, {HEX2("22"), OCI_MANIFEST(HEX2("32"))},
	    {HEX2("32"), CMD_CONFIG("arm", "arm")}, {HEX2("23"), OCI_MANIFEST(HEX2("33"))},
	    {HEX2("33"), CMD_CONFIG("amd64", "amd64")}, {HEX2("24"), OCI_MANIFEST(HEX2("34"))},
	    {HEX2("34"), CMD_CONFIG("s390x", "s390x")});
	EXPECT_CONFIG(&s, "library/app:1.0@" DIGEST(HEX2("11")), "{\"cmd\":[\"amd64\"]}", 3);
	SC_ASSERT_STR_EQ(s.read[1], HEX2("23"));
	SC_ASSERT_STR_EQ(s.read[2], HEX2("33"));
}

SC_TEST(docker_manifest_list_chooses_linux_amd64)
{
	cleanup_free char *list =
	    index_of(DOCKER_LIST_MT, ENTRY(HEX2("21"), PLATFORM_V("linux", "arm", "v6")),
		     ENTRY(HEX2("23"), PLATFORM("linux", "amd64")), NULL);
	struct store s =
	    STORE({HEX2("12"), list}, {HEX2("21"), DOCKER_MANIFEST(HEX2("31"))},
		  {HEX2("31"), CMD_CONFIG("arm", "arm")}, {HEX2("23"), DOCKER_MANIFEST(HEX2("33"))},
		  {HEX2("33"), CMD_CONFIG("amd64", "amd64")});
	EXPECT_CONFIG(&s, "library/app@" DIGEST(HEX2("12")), "{\"cmd\":[\"amd64\"]}", 3);
}

SC_TEST(windows_amd64_with_an_os_version_is_not_linux_amd64)
{
	cleanup_free char *index =
	    index_of(OCI_INDEX_MT,
		     ENTRY(HEX2("21"), ",\"platform\":{\"os\":\"windows\",\"architecture\":"
				       "\"amd64\",\"os.version\":\"10.0.17763.5830\"}"),
		     ENTRY(HEX2("23"), PLATFORM("linux", "amd64")), NULL);
	struct store s = STORE({HEX2("13"), index}, {HEX2("21"), OCI_MANIFEST(HEX2("31"))},
			       {HEX2("31"), CMD_CONFIG("amd64", "windows")},
			       {HEX2("23"), OCI_MANIFEST(HEX2("33"))},
			       {HEX2("33"), CMD_CONFIG("amd64", "linux")});
	EXPECT_CONFIG(&s, "library/app@" DIGEST(HEX2("13")), "{\"cmd\":[\"linux\"]}", 3);
}

SC_TEST(arm64_only_index_is_refused_without_reading_further)
{
	cleanup_free char *index =
	    index_of(OCI_INDEX_MT, ENTRY(HEX2("21"), PLATFORM_V("linux", "arm64", "v8")),
		     ENTRY(HEX2("22"), PLATFORM_V("linux", "arm", "v7")),
		     ATTESTATION_ENTRY(HEX2("f1"), HEX2("21")), NULL);
	struct store s =
	    STORE({HEX2("14"), index}, {HEX2("21"), OCI_MANIFEST(HEX2("31"))},
		  {HEX2("31"), CMD_CONFIG("arm64", "arm64")},
		  {HEX2("22"), OCI_MANIFEST(HEX2("32"))}, {HEX2("32"), CMD_CONFIG("arm", "arm")},
		  {HEX2("f1"), ATTESTATION_MANIFEST(HEX2("f2"))}, {HEX2("f2"), ATTESTATION_CONFIG});
	const char *id = "library/app@" DIGEST(HEX2("14"));
	EXPECT_ERROR(&s, id, ENOENT, "no linux/amd64 manifest");
	EXPECT_ERROR(&s, id, ENOENT, id);
	/* neither another platform nor the attestation was taken instead */
	SC_ASSERT_INT_EQ(s.reads, 1);
}

SC_TEST(empty_index_is_refused)
{
	cleanup_free char *index = index_of(OCI_INDEX_MT, NULL);
	struct store s = STORE({HEX2("15"), index});
	EXPECT_ERROR(&s, DIGEST(HEX2("15")), ENOENT, "no linux/amd64 manifest");
	struct store t = STORE({HEX2("15"), "{\"manifests\":null}"});
	EXPECT_ERROR(&t, DIGEST(HEX2("15")), ENOENT, "no linux/amd64 manifest");
	struct store u = STORE({HEX2("15"), "{\"manifests\":{\"linux\":\"amd64\"}}"});
	EXPECT_ERROR(&u, DIGEST(HEX2("15")), ENOENT, "no linux/amd64 manifest");
}

SC_TEST(entry_without_platform_is_taken_only_when_no_linux_amd64)
{
	/* Single-manifest indexes (an OCI layout, some registries' pushes)
	 * may leave the platform out. */
	cleanup_free char *index =
	    index_of(OCI_INDEX_MT, ENTRY(HEX2("21"), PLATFORM("linux", "arm64")),
		     ENTRY(HEX2("22"), ""), ENTRY(HEX2("25"), ""), NULL);
	struct store s = STORE({HEX2("16"), index}, {HEX2("22"), OCI_MANIFEST(HEX2("32"))},
			       {HEX2("32"), CMD_CONFIG("amd64", "first")},
			       {HEX2("25"), OCI_MANIFEST(HEX2("35"))},
			       {HEX2("35"), CMD_CONFIG("amd64", "second")});
	EXPECT_CONFIG(&s, DIGEST(HEX2("16")), "{\"cmd\":[\"first\"]}", 3);

	cleanup_free char *index2 = index_of(OCI_INDEX_MT, ENTRY(HEX2("22"), ""),
					     ENTRY(HEX2("23"), PLATFORM("linux", "amd64")), NULL);
	struct store t =
	    STORE({HEX2("16"), index2}, {HEX2("22"), OCI_MANIFEST(HEX2("32"))},
		  {HEX2("32"), CMD_CONFIG("amd64", "none")}, {HEX2("23"), OCI_MANIFEST(HEX2("33"))},
		  {HEX2("33"), CMD_CONFIG("amd64", "amd64")});
	EXPECT_CONFIG(&t, DIGEST(HEX2("16")), "{\"cmd\":[\"amd64\"]}", 3);
}

SC_TEST(nested_index_is_refused_as_too_deep)
{
	/* index -> index -> manifest -> config is four blobs; the resolver
	 * follows three. */
	cleanup_free char *outer =
	    index_of(OCI_INDEX_MT, ENTRY(HEX2("42"), PLATFORM("linux", "amd64")), NULL);
	cleanup_free char *inner =
	    index_of(OCI_INDEX_MT, ENTRY(HEX2("43"), PLATFORM("linux", "amd64")), NULL);
	struct store s =
	    STORE({HEX2("41"), outer}, {HEX2("42"), inner}, {HEX2("43"), OCI_MANIFEST(HEX2("44"))},
		  {HEX2("44"), CMD_CONFIG("amd64", "amd64")});
	EXPECT_ERROR(&s, DIGEST(HEX2("41")), ELOOP, "too many levels of indexes");
	SC_ASSERT_INT_EQ(s.reads, 3);
}

SC_TEST(index_naming_itself_ends)
{
	cleanup_free char *index =
	    index_of(OCI_INDEX_MT, ENTRY(HEX2("45"), PLATFORM("linux", "amd64")), NULL);
	struct store s = STORE({HEX2("45"), index});
	EXPECT_ERROR(&s, DIGEST(HEX2("45")), ELOOP, "too many levels of indexes");
	SC_ASSERT_INT_EQ(s.reads, 3);
	/* a manifest whose config is the manifest itself */
	struct store t = STORE({HEX2("46"), OCI_MANIFEST(HEX2("46"))});
	EXPECT_ERROR(&t, DIGEST(HEX2("46")), ELOOP, "too many levels of indexes");
	SC_ASSERT_INT_EQ(t.reads, 3);
}

/* ---- refusals ---- */

SC_TEST(missing_blob_keeps_the_readers_code_and_names_the_image)
{
	const char *id = "library/app@" DIGEST(HEX2("a1"));
	struct store s = STORE({HEX2("a1"), DOCKER_MANIFEST(HEX2("c1"))});
	EXPECT_ERROR(&s, id, ENOENT, "blob " HEX2("c1") " not found");
	EXPECT_ERROR(&s, id, ENOENT, "reading image library/app@sha256:");
	SC_ASSERT_INT_EQ(s.reads, 2);
	struct store empty = STORE({HEX2("00"), "{}"});
	EXPECT_ERROR(&empty, id, ENOENT, "reading image");
}

SC_TEST(malformed_json_is_refused)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "{\"manifests\":[",
	    "{\"config\":{\"Cmd\":[\"a\"]},\"rootfs\":{}",
	    "\x1f\x8b\x08\x00\x00\x00\x00\x00", /* a gzip layer where a manifest should be */
	    "{\"a\":\"\\u0000\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct store s =
		    STORE({HEX2("a1"), DOCKER_MANIFEST(HEX2("c1"))}, {HEX2("c1"), bad[i]});
		EXPECT_ERROR(&s, DIGEST(HEX2("a1")), EINVAL, "invalid JSON");
	}
}

SC_TEST(documents_that_are_not_an_index_manifest_or_config_are_refused)
{
	static const char *const bad[] = {
	    "[]",
	    "null",
	    "\"sha256\"",
	    "42",
	    "{}",
	    /* a manifest with no layers, and a config with no rootfs */
	    "{\"schemaVersion\":2,\"config\":{\"digest\":\"" DIGEST(HEX2("c1")) "\"}}",
	    "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"sh\"]}}",
	    /* a media type is not a shape */
	    "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"schemaVersion\":2}",
	    /* schema 1 (containerd converts these when pulling) */
	    "{\"schemaVersion\":1,\"name\":\"library/app\",\"tag\":\"1\","
	    "\"fsLayers\":[{\"blobSum\":\"" DIGEST(
		HEX("e")) "\"}],"
			  "\"history\":[{\"v1Compatibility\":\"{}\"}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct store s = STORE({HEX2("b1"), bad[i]});
		EXPECT_ERROR(&s, DIGEST(HEX2("b1")), EINVAL, "is not an index, manifest or config");
		EXPECT_ERROR(&s, DIGEST(HEX2("b1")), EINVAL, "blob b1b1b1b1b1b1");
	}
}

SC_TEST(bad_descriptor_digests_are_refused_before_they_are_read)
{
	/* A digest becomes a path under blobs/sha256/: anything but 64
	 * lower-case hex must stop before the reader. */
	static const char *const bad[] = {
	    "\"sha256:../../../../etc/shadow\"",
	    "\"sha256:" R32("AB") "\"",
	    "\"sha256:" HEX2("c1") "/\"",
	    "\"sha256:" HEX2("c1") "0\"",
	    "\"sha256:" R16("c1") "\"",
	    "\"sha512:" HEX2("c1") HEX2("c1") "\"",
	    "\"" HEX2("c1") "\"",
	    "\"\"",
	    "null",
	    "42",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cleanup_free char *manifest =
		    sc_xasprintf("{\"config\":{\"digest\":%s},\"layers\":[]}", bad[i]);
		struct store s = STORE({HEX2("a1"), manifest}, {HEX2("c1"), FULL_CONFIG});
		EXPECT_ERROR(&s, DIGEST(HEX2("a1")), EINVAL, "sha256 digest");
		SC_ASSERT_INT_EQ(s.reads, 1);

		cleanup_free char *index =
		    sc_xasprintf("{\"manifests\":[{\"digest\":%s,\"platform\":{\"os\":\"linux\","
				 "\"architecture\":\"amd64\"}}]}",
				 bad[i]);
		struct store t = STORE({HEX2("11"), index}, {HEX2("c1"), FULL_CONFIG});
		EXPECT_ERROR(&t, DIGEST(HEX2("11")), EINVAL, "sha256 digest");
		SC_ASSERT_INT_EQ(t.reads, 1);
	}
}

/* ---- the image ID ---- */

SC_TEST(image_id_forms_the_kubelet_reports)
{
	static const char *const ok[] = {
	    DIGEST(HEX2("c1")),                       /* no repo digest: the config */
	    "library/app@" DIGEST(HEX2("c1")),        /* repo digest */
	    "team/sub/app:1.2.3@" DIGEST(HEX2("c1")), /* with a tag */
	    "import-2024-05-01@" DIGEST(HEX2("c1")),  /* ctr import without a name */
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char hex[65] = {0};
		cleanup_error sc_error_t err = NULL;
		SC_ASSERT_INT_EQ(sc_image_digest(ok[i], hex, &err), 0);
		SC_ASSERT(err == NULL);
		SC_ASSERT_STR_EQ(hex, HEX2("c1"));
		struct store s = STORE({HEX2("c1"), FULL_CONFIG});
		EXPECT_CONFIG(&s, ok[i], FULL_OUTPUT, 1);
	}
}

SC_TEST(image_ids_without_a_usable_digest_are_refused_unread)
{
	static const struct {
		const char *id;
		const char *message;
	} bad[] = {
	    {"", "image ID \"\" has no sha256 digest"},
	    {"library/app:latest", "image ID \"library/app:latest\" has no sha256 digest"},
	    {"library/app@sha512:" HEX2("c1") HEX2("c1"), "has no sha256 digest"},
	    {"SHA256:" HEX2("c1"), "has no sha256 digest"},
	    {"sha256:", "image ID \"sha256:\": malformed sha256 digest"},
	    {"sha256:" R16("c1"), "malformed sha256 digest"},
	    {"sha256:" HEX2("c1") "c", "malformed sha256 digest"},
	    {"sha256:" HEX2("c1") " ", "malformed sha256 digest"},
	    {"sha256:" HEX2("c1") "\n", "malformed sha256 digest"},
	    {"sha256:" R32("C1"), "malformed sha256 digest"},
	    {"sha256:" R32("g1"), "malformed sha256 digest"},
	    {"sha256:../../../../etc/passwd", "malformed sha256 digest"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char hex[65] = "untouched";
		cleanup_error sc_error_t err = NULL;
		SC_ASSERT_INT_EQ(sc_image_digest(bad[i].id, hex, &err), -1);
		SC_ASSERT_INT_EQ(err->code, EINVAL);
		SC_ASSERT_STR_CONTAINS(sc_error_message(err), bad[i].message);
		SC_ASSERT_STR_EQ(hex, "untouched");
		struct store s = STORE({HEX2("c1"), FULL_CONFIG});
		EXPECT_ERROR(&s, bad[i].id, EINVAL, bad[i].message);
		SC_ASSERT_INT_EQ(s.reads, 0);
	}
	cleanup_error sc_error_t err = NULL;
	char hex[65];
	SC_ASSERT_INT_EQ(sc_image_digest(NULL, hex, &err), -1);
	SC_ASSERT_INT_EQ(err->code, EINVAL);
	struct store s = STORE({HEX2("c1"), FULL_CONFIG});
	EXPECT_ERROR(&s, NULL, EINVAL, "has no sha256 digest");
	SC_ASSERT_INT_EQ(s.reads, 0);
}

/* ---- the config's fields ---- */

SC_TEST(empty_or_absent_fields_give_empty_output)
{
	static const struct {
		const char *config;
		const char *want;
	} cases[] = {
	    /* no "config" at all (allowed by the OCI spec) */
	    {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}",
	     "{}"},
	    {"{\"config\":{},\"rootfs\":{}}", "{}"},
	    {"{\"config\":null,\"rootfs\":{}}", "{}"},
	    /* what docker writes for an image that sets nothing */
	    {"{\"config\":{\"Entrypoint\":null,\"Cmd\":null,\"Env\":null,\"WorkingDir\":\"\","
	     "\"User\":\"\"},\"rootfs\":{}}",
	     "{}"},
	    /* an empty list is kept: ENTRYPOINT [] clears the base image's */
	    {"{\"config\":{\"Entrypoint\":[],\"Cmd\":[\"sh\"]},\"rootfs\":{}}",
	     "{\"entrypoint\":[],\"cmd\":[\"sh\"]}"},
	    {"{\"config\":{\"Env\":[]},\"rootfs\":{}}", "{\"env\":[]}"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store s = STORE({HEX2("c1"), cases[i].config});
		EXPECT_CONFIG(&s, DIGEST(HEX2("c1")), cases[i].want, 1);
	}
}

SC_TEST(fields_of_the_wrong_type_are_left_out)
{
	struct store s = STORE(
	    {HEX2("c1"), "{\"config\":{\"Entrypoint\":\"/bin/sh -c\",\"Cmd\":[\"a\",1,null,[\"x\"],"
			 "\"b\"],\"Env\":{\"A\":\"1\"},\"WorkingDir\":5,\"User\":true},"
			 "\"rootfs\":{}}"});
	EXPECT_CONFIG(&s, DIGEST(HEX2("c1")), "{\"cmd\":[\"a\",\"b\"]}", 1);
	/* lower-case keys are not Docker's */
	struct store t = STORE({HEX2("c1"), "{\"config\":{\"cmd\":[\"a\"],\"workingDir\":\"/x\","
					    "\"user\":\"u\"},\"rootfs\":{}}"});
	EXPECT_CONFIG(&t, DIGEST(HEX2("c1")), "{}", 1);
}

SC_TEST(unicode_and_escapes_survive)
{
	struct store s =
	    STORE({HEX2("c1"), "{\"config\":{\"Cmd\":[\"echo\",\"h\\u00e9llo \\\"w\\\"\\n\"],"
			       "\"Env\":[\"GREETING=\xe3\x81\x93\xe3\x82\x93\"],"
			       "\"WorkingDir\":\"/d\xc3\xa9p\",\"User\":\"0\"},"
			       "\"rootfs\":{}}"});
	EXPECT_CONFIG(&s, DIGEST(HEX2("c1")),
		      "{\"cmd\":[\"echo\",\"h\xc3\xa9llo \\\"w\\\"\\n\"],"
		      "\"env\":[\"GREETING=\xe3\x81\x93\xe3\x82\x93\"],"
		      "\"workingDir\":\"/d\xc3\xa9p\",\"user\":\"0\"}",
		      1);
}

/* ---- sc_content_store_read over a directory laid out as containerd's ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

struct tmp_store {
	char *root;
};

static void tmp_store_free(struct tmp_store *t)
{
	if (t->root != NULL)
		nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t->root);
}
#define cleanup_tmp_store __attribute__((cleanup(tmp_store_free)))

static void tmp_store_init(struct tmp_store *t)
{
	const char *tmp = getenv("TMPDIR");
	t->root = sc_xasprintf("%s/sc-imageconfig-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	SC_ASSERT(mkdtemp(t->root) != NULL);
	cleanup_free char *blobs = sc_xasprintf("%s/blobs", t->root);
	cleanup_free char *sha = sc_xasprintf("%s/blobs/sha256", t->root);
	SC_ASSERT_INT_EQ(mkdir(blobs, 0700), 0);
	SC_ASSERT_INT_EQ(mkdir(sha, 0700), 0);
}

static void put(struct tmp_store *t, const char *hex, const char *data, size_t len)
{
	cleanup_free char *path = sc_xasprintf("%s/blobs/sha256/%s", t->root, hex);
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	SC_ASSERT(fd >= 0);
	SC_ASSERT_INT_EQ(write(fd, data, len), (long long)len);
}

static void put_str(struct tmp_store *t, const char *hex, const char *json)
{
	put(t, hex, json, strlen(json));
}

SC_TEST(content_store_follows_index_manifest_and_config_on_disk)
{
	cleanup_tmp_store struct tmp_store t = {0};
	tmp_store_init(&t);
	cleanup_free char *index =
	    index_of(OCI_INDEX_MT, ENTRY(HEX2("21"), PLATFORM("linux", "arm64")),
		     ENTRY(HEX2("23"), PLATFORM("linux", "amd64")),
		     ATTESTATION_ENTRY(HEX2("f1"), HEX2("23")), NULL);
	put_str(&t, HEX2("11"), index);
	put_str(&t, HEX2("21"), OCI_MANIFEST(HEX2("31")));
	put_str(&t, HEX2("31"), CMD_CONFIG("arm64", "arm64"));
	put_str(&t, HEX2("23"), DOCKER_MANIFEST(HEX2("33")));
	put_str(&t, HEX2("33"), FULL_CONFIG);
	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *out = NULL;
	/* as agent.c calls it */
	SC_ASSERT_INT_EQ(sc_image_config_resolve("library/app@" DIGEST(HEX2("11")),
						 sc_content_store_read, t.root, &out, &err),
			 0);
	SC_ASSERT_JSON(out, FULL_OUTPUT);
}

SC_TEST(content_store_missing_blob_is_enoent_naming_the_path)
{
	cleanup_tmp_store struct tmp_store t = {0};
	tmp_store_init(&t);
	put_str(&t, HEX2("a1"), DOCKER_MANIFEST(HEX2("c1")));
	cleanup_error sc_error_t err = NULL;
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(
	    sc_image_config_resolve(DIGEST(HEX2("a1")), sc_content_store_read, t.root, &out, &err),
	    -1);
	SC_ASSERT(out == NULL);
	SC_ASSERT_INT_EQ(err->code, ENOENT);
	cleanup_free char *path = sc_xasprintf("%s/blobs/sha256/%s", t.root, HEX2("c1"));
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), path);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "reading image sha256:" HEX2("a1"));
}

SC_TEST(content_store_malformed_json_names_the_file)
{
	cleanup_tmp_store struct tmp_store t = {0};
	tmp_store_init(&t);
	put_str(&t, HEX2("c1"), "{\"config\":{\"Cmd\":[\"sh\"]},\"rootfs\":");
	cleanup_error sc_error_t err = NULL;
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(
	    sc_image_config_resolve(DIGEST(HEX2("c1")), sc_content_store_read, t.root, &out, &err),
	    -1);
	SC_ASSERT(out == NULL);
	SC_ASSERT_INT_EQ(err->code, EINVAL);
	cleanup_free char *want =
	    sc_xasprintf("parsing %s/blobs/sha256/%s: invalid JSON", t.root, HEX2("c1"));
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), want);
}

SC_TEST(content_store_reads_up_to_the_cap_and_refuses_more)
{
	cleanup_tmp_store struct tmp_store t = {0};
	tmp_store_init(&t);
	/* a valid config padded with white space to exactly the cap, and one
	 * byte more */
	const char *doc = "{\"config\":{\"User\":\"u\"},\"rootfs\":{}}";
	cleanup_free char *big = sc_xmalloc(SC_IMAGE_BLOB_MAX + 1);
	memset(big, ' ', SC_IMAGE_BLOB_MAX + 1);
	memcpy(big, doc, strlen(doc));
	put(&t, HEX2("c1"), big, SC_IMAGE_BLOB_MAX);
	put(&t, HEX2("c2"), big, SC_IMAGE_BLOB_MAX + 1);

	cleanup_error sc_error_t err = NULL;
	cleanup_json json_t *out = NULL;
	if (sc_image_config_resolve(DIGEST(HEX2("c1")), sc_content_store_read, t.root, &out, &err) <
	    0)
		sc_test_fail(__FILE__, __LINE__, "%s", sc_error_message(err));
	SC_ASSERT_JSON(out, "{\"user\":\"u\"}");

	json_t *out2 = NULL;
	SC_ASSERT_INT_EQ(
	    sc_image_config_resolve(DIGEST(HEX2("c2")), sc_content_store_read, t.root, &out2, &err),
	    -1);
	SC_ASSERT(out2 == NULL);
	SC_ASSERT_INT_EQ(err->code, EMSGSIZE);
	SC_ASSERT_STR_CONTAINS(sc_error_message(err), "exceeds the limit of 4194304 bytes");
}

SC_TEST(content_store_digest_is_a_file_name_not_a_path)
{
	/* A blob outside blobs/sha256 that a bad digest could reach. */
	cleanup_tmp_store struct tmp_store t = {0};
	tmp_store_init(&t);
	cleanup_free char *outside = sc_xasprintf("%s/config.json", t.root);
	{
		cleanup_close int fd = open(outside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		SC_ASSERT(fd >= 0);
		const char *c = "{\"config\":{\"User\":\"root\"},\"rootfs\":{}}";
		SC_ASSERT_INT_EQ(write(fd, c, strlen(c)), (long long)strlen(c));
	}
	put_str(&t, HEX2("a1"),
		"{\"config\":{\"digest\":\"sha256:../../config.json\"},\"layers\":[]}");
	cleanup_error sc_error_t err = NULL;
	json_t *out = NULL;
	SC_ASSERT_INT_EQ(
	    sc_image_config_resolve(DIGEST(HEX2("a1")), sc_content_store_read, t.root, &out, &err),
	    -1);
	SC_ASSERT(out == NULL);
	SC_ASSERT_INT_EQ(err->code, EINVAL);
}

int main(void)
{
	return sc_test_run();
}
