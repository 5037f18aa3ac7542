# Provider template: HTTP request metrics of one app version, read from Prometheus.
#
# It fits any app that exports a request counter with a status-code label and a latency
# histogram, both labelled by version -- such as iter8's demo app (`iter8 demo-app`). iter8 renders
# this file once per version with the task's values (versionValues[i] over values) and queries
# Prometheus once per metric.
#
# Values (the defaults fit the demo app):
#   version              string    required: the value of the version label for this version
#   prometheusURL        string    default http://127.0.0.1:9090
#   versionLabel         string    default version
#   requestsMetric       string    default demo_app_requests_total (a counter)
#   codeLabel            string    default code
#   errorCodes           string    default 5.. (a regular expression matched against codeLabel)
#   durationMetric       string    default demo_app_request_duration_seconds (a histogram)
#   latencyScale         number    default 1000 (histogram unit to msec; seconds -> 1000)
#   latencyPercentiles   []number  default [50, 95, 99]
#   labels               map       optional extra label matchers, e.g. {job: demo-app}
#   elapsedTimeSeconds   int       set by iter8: seconds since the experiment started (or
#                                  since startingTime)
#
# Counts are the counters' latest values within the window, as Iter8's own templates read them:
# they equal the app's counters when the app started with the experiment. A version that answered
# no requests in the window has no data (never 0).
{{- define "selector" -}}
{{ .versionLabel | default "version" }}="{{ .version }}"
{{- range $name, $value := .labels }},{{ $name }}="{{ $value }}"{{ end }}
{{- end }}
{{- define "requests" -}}
sum(last_over_time({{ .requestsMetric | default "demo_app_requests_total" }}{ {{- template "selector" . -}} }[{{ .elapsedTimeSeconds }}s]))
{{- end }}
{{- define "errors" -}}
(sum(last_over_time({{ .requestsMetric | default "demo_app_requests_total" }}{ {{- template "selector" . -}} ,{{ .codeLabel | default "code" }}=~"{{ .errorCodes | default "5.." }}"}[{{ .elapsedTimeSeconds }}s])) or (0 * {{ template "requests" . }}))
{{- end }}
{{- define "duration" -}}
{{ .durationMetric | default "demo_app_request_duration_seconds" }}
{{- end }}

url: {{ .prometheusURL | default "http://127.0.0.1:9090" }}/api/v1/query
provider: prometheus-http
method: GET
metrics:
- name: request-count
  type: counter
  description: Number of requests answered
  params:
  - name: query
    value: |
      {{ template "requests" . }}
  jqExpression: .data.result[0].value[1] | tonumber
- name: error-count
  type: counter
  description: Number of requests answered with an error status
  params:
  - name: query
    value: |
      {{ template "errors" . }}
  jqExpression: .data.result[0].value[1] | tonumber
- name: error-rate
  type: gauge
  description: Fraction of requests answered with an error status
  params:
  - name: query
    value: |
      {{ template "errors" . }} / {{ template "requests" . }}
  jqExpression: .data.result[0].value[1] | tonumber
- name: latency-mean
  type: gauge
  units: msec
  description: Mean latency
  params:
  - name: query
    value: |
      {{ .latencyScale | default 1000 }} * sum(last_over_time({{ template "duration" . }}_sum{ {{- template "selector" . -}} }[{{ .elapsedTimeSeconds }}s])) / sum(last_over_time({{ template "duration" . }}_count{ {{- template "selector" . -}} }[{{ .elapsedTimeSeconds }}s]))
  jqExpression: .data.result[0].value[1] | tonumber
{{- range $p := .latencyPercentiles | default (list 50 95 99) }}
- name: latency-p{{ $p }}
  type: gauge
  units: msec
  description: {{ $p }}th percentile latency (from the histogram's buckets)
  params:
  - name: query
    value: |
      {{ $.latencyScale | default 1000 }} * histogram_quantile({{ divf $p 100 }}, sum by (le) (last_over_time({{ template "duration" $ }}_bucket{ {{- template "selector" $ -}} }[{{ $.elapsedTimeSeconds }}s])))
  jqExpression: .data.result[0].value[1] | tonumber
{{- end }}
