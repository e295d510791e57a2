{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "cloudnet-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the release name when it already contains the chart name, else
"<release>-<chart>". 54 characters leave room for the "-simulator" suffix.
*/}}
{{- define "cloudnet-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 54 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 54 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 54 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cloudnet-operator.simulatorName" -}}
{{- printf "%s-simulator" (include "cloudnet-operator.fullname" .) }}
{{- end }}

{{- define "cloudnet-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cloudnet-operator.labels" -}}
helm.sh/chart: {{ include "cloudnet-operator.chart" . }}
{{ include "cloudnet-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cloudnet
{{- end }}

{{- define "cloudnet-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cloudnet-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "cloudnet-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cloudnet-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The operator image: repository:tag, the tag defaulting to appVersion. */}}
{{- define "cloudnet-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{/*
The name of the container port at metrics.port: it serves /metrics and
/readyz when metrics are on, /readyz alone when only the probes are.
*/}}
{{- define "cloudnet-operator.opsPortName" -}}
{{- if .Values.metrics.enabled }}metrics{{ else }}readiness{{ end }}
{{- end }}

{{/* The simulator image: the operator image unless set. */}}
{{- define "cloudnet-operator.simulatorImage" -}}
{{- $repo := .Values.simulator.image.repository | default .Values.image.repository }}
{{- $tag := .Values.simulator.image.tag | default .Values.image.tag | default .Chart.AppVersion | toString }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/*
The operator's RBAC rules, shared by the ClusterRole (all namespaces) and
the per-namespace Roles. Exactly what `cloudnet run` does (handlers/kube.py
and kopf with scanning disabled and standalone peering):
- kopf lists and watches the kinds it handles and patches them (finalizer,
  progress annotations); the operator patches annotations (create-pending
  guard) and /status;
- ProviderConfigs are read by name, watched, and patched: the in-use
  finalizer `cloudnet.dev/in-use` while resources use one, its users in
  /status;
- Secrets: `get` by name (the ProviderConfig's credentialsSecretRef);
  `patch` to put the in-use finalizer and label on the Secret of a
  ProviderConfig in use and take them off again; `list`/`watch` for the
  Secrets carrying that label only (the operator asks with a label
  selector; RBAC cannot narrow verbs by label);
- Events: created by the operator (core/v1), patched by kopf when it posts.
Not needed: namespaces (kopf lists them only when scanning is on and the
operator is namespaced), CRDs (scanning is disabled), leases and
kopfpeerings (standalone).
*/}}
{{- define "cloudnet-operator.rules" -}}
- apiGroups: ["cloudnet.dev"]
  resources: ["dnatrules", "networkinterfaceconfigs", "providerconfigs"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["cloudnet.dev"]
  resources: ["dnatrules/status", "networkinterfaceconfigs/status", "providerconfigs/status"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
