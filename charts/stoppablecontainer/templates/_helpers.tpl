{{/*
Labels on every object's metadata. Object names and the pod templates'
labels (the selectors) are exactly kustomize's (config/), so a rendering of
this chart applied over a `kubectl apply -k config/default` updates the same
objects without replacing pods.
*/}}
{{- define "sc.labels" -}}
app.kubernetes.io/part-of: stoppablecontainer
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
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
