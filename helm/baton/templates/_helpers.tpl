{{/* Chart name, 63 characters at most (DNS label). */}}
{{- define "baton.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or just the release name when it already contains the chart name. */}}
{{- define "baton.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "baton.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "baton.selectorLabels" -}}
app.kubernetes.io/name: {{ include "baton.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "baton.labels" -}}
helm.sh/chart: {{ include "baton.chart" . }}
{{ include "baton.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: baton
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "baton.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "baton.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "baton.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding Redis credentials: the user's, or the chart's. */}}
{{- define "baton.redisSecretName" -}}
{{- default (printf "%s-redis" (include "baton.fullname" .)) .Values.redis.existingSecret }}
{{- end }}

{{/* Name of the Secret holding the tokens file: the user's, or the chart's. */}}
{{- define "baton.authSecretName" -}}
{{- default (printf "%s-auth" (include "baton.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{/* Key of the tokens file in the auth Secret. */}}
{{- define "baton.authSecretKey" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecretKey }}{{ else }}tokens.json{{ end }}
{{- end }}

{{/* True (non-empty) when the chart itself creates the Redis Secret. */}}
{{- define "baton.createRedisSecret" -}}
{{- if and (not .Values.redis.existingSecret) (or .Values.redis.password .Values.redis.username) }}true{{ end }}
{{- end }}

{{/*
Fails rendering unless Redis endpoints are configured exactly once. Without them the server would start a
local development redis-server inside the pod, which is never what a cluster deployment wants.
*/}}
{{- define "baton.validateRedis" -}}
{{- $r := .Values.redis }}
{{- $fromValues := add (ternary 1 0 (gt (len $r.cluster) 0)) (ternary 1 0 (ne $r.url "")) }}
{{- $fromSecret := add (ternary 1 0 (ne $r.existingSecretClusterKey "")) (ternary 1 0 (ne $r.existingSecretUrlKey "")) }}
{{- if and (gt $fromSecret 0) (not $r.existingSecret) }}
{{- fail "redis.existingSecretClusterKey and redis.existingSecretUrlKey need redis.existingSecret (the Secret that holds them)" }}
{{- end }}
{{- if eq (add $fromValues $fromSecret) 0 }}
{{- fail "Redis endpoints are required: set redis.cluster (list of host:port seed nodes), or redis.url, or redis.existingSecret with redis.existingSecretClusterKey / redis.existingSecretUrlKey. Example: --set 'redis.cluster={redis-0.redis:6379,redis-1.redis:6379}'" }}
{{- end }}
{{- if gt (add $fromValues $fromSecret) 1 }}
{{- fail "Set only one Redis endpoint source: redis.cluster, redis.url, redis.existingSecretClusterKey or redis.existingSecretUrlKey" }}
{{- end }}
{{- end }}

{{/* Pod termination grace: explicit, or derived from the drain time plus a margin for the process to exit. */}}
{{- define "baton.terminationGracePeriodSeconds" -}}
{{- $minimum := add .Values.preStopSleepSeconds .Values.config.shutdownGraceSeconds }}
{{- if .Values.terminationGracePeriodSeconds }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $minimum) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed preStopSleepSeconds + config.shutdownGraceSeconds (%v), or Kubernetes kills Baton before it has drained" .Values.terminationGracePeriodSeconds $minimum) }}
{{- end }}
{{- .Values.terminationGracePeriodSeconds }}
{{- else }}
{{- add $minimum 5 }}
{{- end }}
{{- end }}

{{/* Labels of one alert: its severity plus prometheusRule.additionalRuleLabels. Argument: (list alertValues $). */}}
{{- define "baton.ruleLabels" -}}
{{- $alert := index . 0 }}
{{- $root := index . 1 -}}
severity: {{ $alert.severity | quote }}
{{- with $root.Values.prometheusRule.additionalRuleLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* runbook_url annotation when prometheusRule.runbookBaseUrl is set. Argument: (list "AlertName" $). */}}
{{- define "baton.runbook" -}}
{{- $name := index . 0 }}
{{- $root := index . 1 }}
{{- with $root.Values.prometheusRule.runbookBaseUrl -}}
runbook_url: {{ printf "%s#%s" . (lower $name) | quote }}
{{- end }}
{{- end }}

{{/* Container env: Redis credentials and endpoints from Secrets, then extraEnv. Empty when there is none. */}}
{{- define "baton.env" -}}
{{- $redis := .Values.redis }}
{{- if $redis.existingSecret }}
{{- range $var, $key := dict "BATON_REDIS_PASSWORD" $redis.existingSecretPasswordKey "BATON_REDIS_USERNAME" $redis.existingSecretUsernameKey "BATON_REDIS_CLUSTER" $redis.existingSecretClusterKey "BATON_REDIS_URL" $redis.existingSecretUrlKey }}
{{- if $key }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ $redis.existingSecret }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- else }}
{{- if $redis.password }}
- name: BATON_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "baton.redisSecretName" . }}
      key: redis-password
{{- end }}
{{- if $redis.username }}
- name: BATON_REDIS_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "baton.redisSecretName" . }}
      key: redis-username
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* TLS needs the Secret that holds the certificate. */}}
{{- define "baton.validateTls" -}}
{{- if and .Values.tls.enabled (not .Values.tls.secretName) }}
{{- fail "tls.enabled needs tls.secretName: a Secret with tls.crt and tls.key (and ca.crt with tls.clientCa)" }}
{{- end }}
{{- if and .Values.tls.enabled (eq (int .Values.tls.healthPort) 50051) }}
{{- fail "tls.healthPort must differ from the gRPC port 50051" }}
{{- end }}
{{- end }}
