{{- define "modelgate.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "modelgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "modelgate.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The Prometheus rules select job="modelgate": the ServiceMonitor takes the job from this label. */}}
{{- define "modelgate.selectorLabels" -}}
app.kubernetes.io/name: modelgate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "modelgate.labels" -}}
{{ include "modelgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "modelgate.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "modelgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "modelgate.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Seconds Kubernetes waits after the preStop hook starts: drain time plus the preStop sleep plus a margin. */}}
{{- define "modelgate.gracePeriod" -}}
{{- add (div (add .Values.shutdown.timeoutMs 999) 1000) .Values.shutdown.preStopSeconds .Values.shutdown.marginSeconds -}}
{{- end -}}

{{/* Credentials from the referenced Secret; shared by the Deployment and the migration Job. */}}
{{- define "modelgate.secretEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.databaseUrl }}
- name: MODELGATE_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.adminToken }}
{{- end -}}

{{/* Everything the ConfigMap is made of, so a change to it rolls the pods. */}}
{{- define "modelgate.configChecksum" -}}
{{- printf "%s\n%s\n%s\n%s" (toYaml .Values.config) (toYaml .Values.alerts) (toYaml .Values.shutdown) (toYaml .Values.ports) | sha256sum -}}
{{- end -}}
