// The terminal tour, in process against an app with demo tools: it reports one refresh for the
// stampede, and says so in colour when asked.
import t from 'tap'
import { runTour } from '../src/tour.js'
import { startApp } from './fixtures/app.js'

t.test('the tour reports one refresh for 20 concurrent requests', async (t) => {
  const { url } = await startApp(t, { demoTools: true })
  const lines = []
  const result = await runTour({ baseUrl: url, print: (line) => lines.push(line) })
  t.same(result, { ok: true, clientRefreshes: 1, serverRefreshes: 1 })
  t.ok(lines.some((line) => line.includes('✔ ONE refresh served all 20 requests')))
})

t.test('with colour on, statuses are green or red', async (t) => {
  const { url } = await startApp(t, { demoTools: true, env: { BATON_ACCESS_TTL: '60' } })
  const lines = []
  const result = await runTour({ baseUrl: url, print: (line) => lines.push(line), color: true })
  t.equal(result.ok, true)
  t.ok(lines.some((line) => line.includes('\x1b[32mGET  /api/me        → 200')))
  t.ok(lines.some((line) => line.includes('\x1b[31mGET  /api/me        → 401')))
  t.ok(
    lines.some((line) => line.includes('1 min 6 s ahead')),
    'advances by accessTtl + leeway + 1',
  )
})
