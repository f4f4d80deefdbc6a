{{/*
Object names are fixed, not derived from the release name: the admission policy names the worker's
ServiceAccount, tenants' NetworkPolicies name its namespace, and one fleet runs per cluster (its
ClusterRole and admission policy are cluster-wide).
*/}}

{{- define "flink-fleet.labels" -}}
app.kubernetes.io/part-of: flink-fleet
{{- end }}

{{- define "flink-fleet.selectorLabels" -}}
app.kubernetes.io/name: flink-fleet-worker
{{- end }}

{{- define "flink-fleet.namespace" -}}
{{ .Values.namespace.name }}
{{- end }}

{{/* The user the API server sees the worker's requests as; the admission policy matches it. */}}
{{- define "flink-fleet.workerUser" -}}
system:serviceaccount:{{ include "flink-fleet.namespace" . }}:flink-fleet-worker
{{- end }}

{{- define "flink-fleet.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The worker's environment (worker/config.ts reads it), as ConfigMap data. */}}
{{- define "flink-fleet.workerConfig" -}}
{{- $tls := .Values.temporal.tls -}}
TEMPORAL_ADDRESS: {{ .Values.temporal.address | quote }}
TEMPORAL_NAMESPACE: {{ .Values.temporal.namespace | quote }}
FLEET_TASK_QUEUE: {{ .Values.temporal.taskQueue | quote }}
FLEET_RUNTIME: "kubernetes"
FLEET_STORAGE_URI: {{ .Values.storage.uri | quote }}
FLEET_WORKER_NAMESPACE: {{ include "flink-fleet.namespace" . | quote }}
FLEET_CODEC_KEY_FILE: {{ printf "/etc/flink-fleet/codec/%s" .Values.codecKeys.key | quote }}
FLEET_METRICS_PORT: {{ .Values.metrics.port | quote }}
FLEET_METRICS_HOST: "0.0.0.0"
LOG_LEVEL: {{ .Values.logLevel | quote }}
{{- with .Values.storage.s3Endpoint }}
FLEET_S3_ENDPOINT: {{ . | quote }}
{{- end }}
{{- with .Values.storage.tenantAccounts }}
FLEET_S3_TENANT_ACCOUNTS: {{ . | quote }}
{{- end }}
{{- with .Values.workflowBundle }}
FLEET_WORKFLOW_BUNDLE: {{ . | quote }}
{{- end }}
{{- with .Values.flinkImage }}
FLEET_FLINK_IMAGE: {{ . | quote }}
{{- end }}
{{- with .Values.podPlacement }}
FLEET_POD_PLACEMENT: {{ toJson . | quote }}
{{- end }}
{{- with .Values.tenantEgress }}
FLEET_TENANT_EGRESS: {{ toJson . | quote }}
{{- end }}
{{- with .Values.tenantPlan }}
FLEET_TENANT_PLAN: {{ toJson . | quote }}
{{- end }}
{{- with .Values.worker.maxConcurrentActivities }}
FLEET_MAX_CONCURRENT_ACTIVITIES: {{ . | quote }}
{{- end }}
{{- with .Values.worker.maxConcurrentWorkflowTasks }}
FLEET_MAX_CONCURRENT_WORKFLOW_TASKS: {{ . | quote }}
{{- end }}
{{- with .Values.worker.maxCachedWorkflows }}
FLEET_MAX_CACHED_WORKFLOWS: {{ . | quote }}
{{- end }}
{{- with .Values.worker.stickyQueueTimeoutSeconds }}
FLEET_STICKY_QUEUE_TIMEOUT_SECONDS: {{ . | quote }}
{{- end }}
{{- with .Values.worker.janitorGraceSeconds }}
FLEET_JANITOR_GRACE_SECONDS: {{ . | quote }}
{{- end }}
{{- with .Values.worker.nodeOptions }}
NODE_OPTIONS: {{ . | quote }}
{{- end }}
{{- if $tls.secretName }}
TEMPORAL_TLS: "true"
{{- with $tls.caKey }}
TEMPORAL_TLS_CA: {{ printf "/etc/flink-fleet/temporal-tls/%s" . | quote }}
{{- end }}
{{- if $tls.clientCertificate }}
TEMPORAL_TLS_CERT: "/etc/flink-fleet/temporal-tls/tls.crt"
TEMPORAL_TLS_KEY: "/etc/flink-fleet/temporal-tls/tls.key"
{{- end }}
{{- with $tls.serverName }}
TEMPORAL_TLS_SERVER_NAME: {{ . | quote }}
{{- end }}
{{- end }}
{{- with .Values.temporal.apiKeySecret.name }}
TEMPORAL_API_KEY_FILE: {{ printf "/etc/flink-fleet/temporal-api-key/%s" $.Values.temporal.apiKeySecret.key | quote }}
{{- end }}
{{- end }}
