// GET /: the browser demo page. The HTML is a template with two holes: a per-response CSP nonce
// for the inline import map, and the settings the page's script needs (as inert JSON).
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

const template = readFileSync(new URL('./page.html', import.meta.url), 'utf8')

/**
 * @param {{ accessTtl: number, refreshTtl: number, demoTools: boolean, store: string,
 *   refreshCookie: boolean }} config
 * @returns {import('express').RequestHandler}
 */
export function pageHandler(config) {
  // `<` escaped so no value can close the <script> element the JSON sits in.
  const json = JSON.stringify(config).replaceAll('<', '\\u003c')
  return (_req, res) => {
    const nonce = randomBytes(16).toString('base64')
    res
      .set({
        // Only our own scripts may run; the nonce admits the inline import map. In cookie mode (the
        // default) no script can read the refresh token (an HttpOnly cookie) and no token is in
        // storage, but the access token is in the page's memory, where an injected script could
        // still use it while the page is open. With BATON_REFRESH_COOKIE=0 the page keeps both
        // tokens in sessionStorage, readable by any script that runs on it.
        'content-security-policy': [
          "default-src 'self'",
          `script-src 'self' 'nonce-${nonce}'`,
          "img-src 'self' data:",
          "object-src 'none'",
          "base-uri 'none'",
          "form-action 'self'",
          "frame-ancestors 'none'",
        ].join('; '),
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      })
      .type('html')
      .send(template.replaceAll('{{nonce}}', nonce).replace('{{config}}', json))
  }
}
