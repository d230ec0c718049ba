{{/*
Names. Every object's name comes from "sc.fullname" (fullnameOverride, else
the release name when it holds the chart's name, else
RELEASE-stoppablecontainer; nameOverride replaces the chart's name there), so
two releases with different fullnames share nothing cluster-wide. It is cut to
42 characters: the longest suffix, "-mount-helper-metrics", keeps a Service
name within 63.

kustomizeNames=true renders the fixed names of config/ (kustomize) instead
(sc-controller, stoppablecontainer-controller, ...) and kustomize's pod
selectors: only for taking over a kustomize install (hack/helm-adopt.sh,
docs/installation.md).
*/}}
{{- define "sc.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 42 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The namespaced objects of the controller: Deployment, ServiceAccount, PDB. */}}
{{- define "sc.controllerName" -}}
{{- if .Values.kustomizeNames -}}sc-controller{{- else -}}{{ include "sc.fullname" . }}-controller{{- end -}}
{{- end -}}

{{/* The mount-helper's DaemonSet and ServiceAccount. */}}
{{- define "sc.mountHelperName" -}}
{{- if .Values.kustomizeNames -}}sc-mount-helper{{- else -}}{{ include "sc.fullname" . }}-mount-helper{{- end -}}
{{- end -}}

{{/* "sc.clusterName" (list . "controller"): a cluster-wide (or RBAC) name. */}}
{{- define "sc.clusterName" -}}
{{- $root := index . 0 -}}
{{- if $root.Values.kustomizeNames -}}
{{- printf "stoppablecontainer-%s" (index . 1) -}}
{{- else -}}
{{- printf "%s-%s" (include "sc.fullname" $root) (index . 1) -}}
{{- end -}}
{{- end -}}

{{/*
Labels on every object's metadata. The pod templates carry only the selector
labels below (plus part-of), so an upgrade that changes the chart's version
does not replace pods by itself.
*/}}
{{- define "sc.labels" -}}
app.kubernetes.io/part-of: stoppablecontainer
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
"sc.selector" (list . "sc-controller"): a component's pod selector. With
kustomizeNames, kustomize's (selectors cannot change on a live Deployment or
DaemonSet); else the release is in it too, so releases in one namespace
select only their own pods.
*/}}
{{- define "sc.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
{{- if not $root.Values.kustomizeNames }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- end }}
{{- end -}}

{{/* "sc.image" (dict "image" .Values.x.image "root" .): repository:tag */}}
{{- define "sc.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{- define "sc.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
- name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
