// autocannon, driven from this (client-core) process. Throughput counts 2xx answers only, so an
// app that fails requests never looks fast; every non-2xx and error is reported with the row.
import autocannon from 'autocannon'

export const CONNECTIONS = 10

/**
 * Runs autocannon for `seconds` and resolves { rps, p99, non2xx, errors }. `requests` may be an
 * autocannon request list (setupRequest / onResponse) for endpoints whose input changes per call.
 */
export function load({ url, seconds, method = 'GET', headers = {}, body, requests }) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method,
        headers,
        body,
        requests,
        connections: CONNECTIONS,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        // autocannon checks whether to stop only when it samples: every 100 ms, so a run lasts
        // its duration to within 0.1 s, also for the sub-second slices of a full run.
        sampleInt: 100,
      },
      (error, result) => {
        if (error) return reject(error)
        const ok = result['2xx']
        resolve({
          // Over the time it really ran, which can exceed `seconds` by up to a sample interval.
          rps: ok / result.duration,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        })
      },
    )
    // autocannon prints nothing when no progress/render is attached; keep it that way.
    instance.on('error', reject)
  })
}
