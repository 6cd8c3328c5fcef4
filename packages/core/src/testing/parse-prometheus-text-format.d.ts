/** The npm package has no types of its own: the shape of what it returns (prom2json's). */
declare module 'parse-prometheus-text-format' {
  type Family = {
    name: string
    help: string
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    metrics: { value: string; labels?: Record<string, string> }[]
  }
  export default function parsePrometheusTextFormat(text: string): Family[]
}
