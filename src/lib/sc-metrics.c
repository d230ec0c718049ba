#include "lib/sc-metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#define SC_METRICS_MAX_LABELS 4
/* A bound on distinct label sets per metric, so a bug or a flood of names
 * can never grow memory without limit. */
#define SC_METRICS_MAX_SERIES 1024

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct series {
	char *values[SC_METRICS_MAX_LABELS];
	double value;
};

struct sc_metric {
	struct sc_metrics *reg;
	enum metric_type type;
	char *name;
	char *help;
	char *label_names[SC_METRICS_MAX_LABELS];
	size_t nlabels;
	struct series *series;
	size_t nseries, alloc;
	/* histogram */
	double *bounds;
	unsigned long long *buckets; /* cumulative at render time, per bucket here */
	size_t nbounds;
	double sum;
	unsigned long long count;
	struct sc_metric *next;
};

struct sc_metrics {
	pthread_mutex_t lock;
	struct sc_metric *first, *last;
};

const double sc_metrics_duration_buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
					      0.5,   1,     2.5,  5,     10,   60};
const size_t sc_metrics_duration_nbuckets = SC_ARRAY_SIZE(sc_metrics_duration_buckets);

struct sc_metrics *sc_metrics_new(void)
{
	struct sc_metrics *reg = sc_xzalloc(sizeof(*reg));
	pthread_mutex_init(&reg->lock, NULL);
	return reg;
}

void sc_metrics_free(struct sc_metrics *reg)
{
	if (reg == NULL)
		return;
	struct sc_metric *m = reg->first;
	while (m) {
		struct sc_metric *next = m->next;
		for (size_t i = 0; i < m->nseries; i++)
			for (size_t j = 0; j < m->nlabels; j++)
				free(m->series[i].values[j]);
		for (size_t j = 0; j < m->nlabels; j++)
			free(m->label_names[j]);
		free(m->series);
		free(m->bounds);
		free(m->buckets);
		free(m->name);
		free(m->help);
		free(m);
		m = next;
	}
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

static struct sc_metric *add_metric(struct sc_metrics *reg, enum metric_type type, const char *name,
				    const char *help, const char *labels)
{
	struct sc_metric *m = sc_xzalloc(sizeof(*m));
	m->reg = reg;
	m->type = type;
	m->name = sc_xstrdup(name);
	m->help = sc_xstrdup(help);
	if (labels != NULL && *labels) {
		const char *p = labels;
		while (*p && m->nlabels < SC_METRICS_MAX_LABELS) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			m->label_names[m->nlabels++] = sc_xstrndup(p, len);
			p += len;
			if (*p == ',')
				p++;
		}
	}
	pthread_mutex_lock(&reg->lock);
	if (reg->last)
		reg->last->next = m;
	else
		reg->first = m;
	reg->last = m;
	pthread_mutex_unlock(&reg->lock);
	return m;
}

struct sc_metric *sc_metrics_counter(struct sc_metrics *reg, const char *name, const char *help,
				     const char *label_names)
{
	return add_metric(reg, METRIC_COUNTER, name, help, label_names);
}

struct sc_metric *sc_metrics_gauge(struct sc_metrics *reg, const char *name, const char *help,
				   const char *label_names)
{
	return add_metric(reg, METRIC_GAUGE, name, help, label_names);
}

struct sc_metric *sc_metrics_histogram(struct sc_metrics *reg, const char *name, const char *help,
				       const double *bounds, size_t nbounds)
{
	struct sc_metric *m = add_metric(reg, METRIC_HISTOGRAM, name, help, NULL);
	m->bounds = sc_xmalloc(nbounds * sizeof(double));
	memcpy(m->bounds, bounds, nbounds * sizeof(double));
	m->nbounds = nbounds;
	m->buckets = sc_xzalloc((nbounds + 1) * sizeof(unsigned long long));
	return m;
}

/* Called with the lock held. */
static struct series *find_series(struct sc_metric *m, va_list ap)
{
	const char *values[SC_METRICS_MAX_LABELS];
	for (size_t i = 0; i < m->nlabels; i++) {
		values[i] = va_arg(ap, const char *);
		if (values[i] == NULL)
			values[i] = "";
	}
	for (size_t s = 0; s < m->nseries; s++) {
		size_t i = 0;
		while (i < m->nlabels && strcmp(m->series[s].values[i], values[i]) == 0)
			i++;
		if (i == m->nlabels)
			return &m->series[s];
	}
	if (m->nseries >= SC_METRICS_MAX_SERIES)
		return NULL;
	if (m->nseries == m->alloc) {
		m->alloc = m->alloc ? m->alloc * 2 : 4;
		m->series = sc_xrealloc(m->series, m->alloc * sizeof(*m->series));
	}
	struct series *s = &m->series[m->nseries++];
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < m->nlabels; i++)
		s->values[i] = sc_xstrdup(values[i]);
	return s;
}

void sc_metric_add(struct sc_metric *m, double v, ...)
{
	va_list ap;
	va_start(ap, v);
	pthread_mutex_lock(&m->reg->lock);
	struct series *s = find_series(m, ap);
	if (s)
		s->value += v;
	pthread_mutex_unlock(&m->reg->lock);
	va_end(ap);
}

void sc_metric_set(struct sc_metric *m, double v, ...)
{
	va_list ap;
	va_start(ap, v);
	pthread_mutex_lock(&m->reg->lock);
	struct series *s = find_series(m, ap);
	if (s)
		s->value = v;
	pthread_mutex_unlock(&m->reg->lock);
	va_end(ap);
}

#ifndef SC_COMMIT
#define SC_COMMIT ""
#endif

void sc_metrics_build_info(struct sc_metrics *reg, const char *component)
{
	struct sc_metric *m =
	    sc_metrics_gauge(reg, "sc_build_info",
			     "Always 1; the labels say which build runs (commit: \"unknown\" when "
			     "the build was not given one).",
			     "component,version,commit");
	sc_metric_set(m, 1, component, SC_VERSION, *SC_COMMIT ? SC_COMMIT : "unknown");
}

void sc_metric_reset(struct sc_metric *m)
{
	pthread_mutex_lock(&m->reg->lock);
	for (size_t i = 0; i < m->nseries; i++)
		m->series[i].value = 0;
	pthread_mutex_unlock(&m->reg->lock);
}

void sc_metric_observe(struct sc_metric *m, double v)
{
	pthread_mutex_lock(&m->reg->lock);
	size_t i = 0;
	while (i < m->nbounds && v > m->bounds[i])
		i++;
	m->buckets[i]++;
	m->sum += v;
	m->count++;
	pthread_mutex_unlock(&m->reg->lock);
}

/* Label values are escaped as the format requires: \\, \" and \n. */
static int append_label_value(struct sc_buf *out, const char *v, sc_error_t *err)
{
	for (const char *p = v; *p; p++) {
		const char *esc = NULL;
		if (*p == '\\')
			esc = "\\\\";
		else if (*p == '"')
			esc = "\\\"";
		else if (*p == '\n')
			esc = "\\n";
		if (esc ? sc_buf_append_str(out, esc, err) : sc_buf_append(out, p, 1, err))
			return -1;
	}
	return 0;
}

static int append_number(struct sc_buf *out, double v, sc_error_t *err)
{
	if (isinf(v))
		return sc_buf_append_str(out, v > 0 ? "+Inf" : "-Inf", err);
	if (v == floor(v) && fabs(v) < 1e15)
		return sc_buf_printf(out, err, "%.0f", v);
	return sc_buf_printf(out, err, "%g", v);
}

int sc_metrics_render(struct sc_metrics *reg, struct sc_buf *out, sc_error_t *err)
{
	int ret = 0;
	pthread_mutex_lock(&reg->lock);
	for (struct sc_metric *m = reg->first; m && ret == 0; m = m->next) {
		static const char *const type_names[] = {"counter", "gauge", "histogram"};
		ret = sc_buf_printf(out, err, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help,
				    m->name, type_names[m->type]);
		if (ret < 0)
			break;
		if (m->type == METRIC_HISTOGRAM) {
			unsigned long long cum = 0;
			for (size_t i = 0; i <= m->nbounds && ret == 0; i++) {
				cum += m->buckets[i];
				ret = sc_buf_printf(out, err, "%s_bucket{le=\"", m->name);
				if (ret == 0)
					ret = append_number(
					    out, i < m->nbounds ? m->bounds[i] : INFINITY, err);
				if (ret == 0)
					ret = sc_buf_printf(out, err, "\"} %llu\n", cum);
			}
			if (ret == 0)
				ret = sc_buf_printf(out, err, "%s_sum ", m->name);
			if (ret == 0)
				ret = append_number(out, m->sum, err);
			if (ret == 0)
				ret =
				    sc_buf_printf(out, err, "\n%s_count %llu\n", m->name, m->count);
			continue;
		}
		if (m->nlabels == 0 && m->nseries == 0)
			ret = sc_buf_printf(out, err, "%s 0\n", m->name);
		for (size_t s = 0; s < m->nseries && ret == 0; s++) {
			ret = sc_buf_append_str(out, m->name, err);
			for (size_t i = 0; i < m->nlabels && ret == 0; i++) {
				ret = sc_buf_printf(out, err, "%s%s=\"", i ? "," : "{",
						    m->label_names[i]);
				if (ret == 0)
					ret = append_label_value(out, m->series[s].values[i], err);
				if (ret == 0)
					ret = sc_buf_append_str(out, "\"", err);
			}
			if (ret == 0 && m->nlabels)
				ret = sc_buf_append_str(out, "}", err);
			if (ret == 0)
				ret = sc_buf_append_str(out, " ", err);
			if (ret == 0)
				ret = append_number(out, m->series[s].value, err);
			if (ret == 0)
				ret = sc_buf_append_str(out, "\n", err);
		}
	}
	pthread_mutex_unlock(&reg->lock);
	return ret < 0 ? sc_error_wrap(err, "rendering metrics") : 0;
}
