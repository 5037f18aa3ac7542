# Provider template: Istio's standard request metrics of one workload, read from the Prometheus
# that Istio's add-on installs (https://istio.io/latest/docs/reference/config/metrics/).
# iter8 renders it once per version (versionValues[i] over values) and queries Prometheus.
#
# Values:
#   destinationWorkload            string    required
#   destinationWorkloadNamespace   string    required
#   reporter                       string    optional (source or destination)
#   istioPromURL                   string    default http://prometheus.istio-system:9090
#   latencyPercentiles             []number  default [50, 75, 90, 95, 99]
#   elapsedTimeSeconds             int       set by iter8
#   startingTime                   string    optional: the time elapsedTimeSeconds counts from
#                                            (e.g. when this version was deployed)
#
# Unlike Iter8's original, a workload with no requests in the window has no data rather than 0.
{{- define "istio-prom-dest" -}}
{{- if .reporter }}reporter="{{ .reporter }}",{{ end -}}
destination_workload="{{ .destinationWorkload }}",destination_workload_namespace="{{ .destinationWorkloadNamespace }}"
{{- end }}
{{- define "istio-requests" -}}
sum(last_over_time(istio_requests_total{ {{- template "istio-prom-dest" . -}} }[{{ .elapsedTimeSeconds }}s]))
{{- end }}
{{- define "istio-errors" -}}
(sum(last_over_time(istio_requests_total{response_code=~"5..",{{ template "istio-prom-dest" . }}}[{{ .elapsedTimeSeconds }}s])) or (0 * {{ template "istio-requests" . }}))
{{- end }}

url: {{ .istioPromURL | default "http://prometheus.istio-system:9090" }}/api/v1/query
provider: istio-prom
method: GET
metrics:
- name: request-count
  type: counter
  description: Number of requests
  params:
  - name: query
    value: |
      {{ template "istio-requests" . }}
  jqExpression: .data.result[0].value[1] | tonumber
- name: error-count
  type: counter
  description: Number of unsuccessful requests (5xx)
  params:
  - name: query
    value: |
      {{ template "istio-errors" . }}
  jqExpression: .data.result[0].value[1] | tonumber
- name: error-rate
  type: gauge
  description: Fraction of unsuccessful requests
  params:
  - name: query
    value: |
      {{ template "istio-errors" . }} / {{ template "istio-requests" . }}
  jqExpression: .data.result[0].value[1] | tonumber
- name: latency-mean
  type: gauge
  units: msec
  description: Mean latency
  params:
  - name: query
    value: |
      sum(last_over_time(istio_request_duration_milliseconds_sum{ {{- template "istio-prom-dest" . -}} }[{{ .elapsedTimeSeconds }}s])) / {{ template "istio-requests" . }}
  jqExpression: .data.result[0].value[1] | tonumber
{{- range $p := .latencyPercentiles | default (list 50 75 90 95 99) }}
- name: latency-p{{ $p }}
  type: gauge
  units: msec
  description: {{ $p }}th percentile latency
  params:
  - name: query
    value: |
      histogram_quantile({{ divf $p 100 }}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{ {{- template "istio-prom-dest" $ -}} }[{{ $.elapsedTimeSeconds }}s])))
  jqExpression: .data.result[0].value[1] | tonumber
{{- end }}
