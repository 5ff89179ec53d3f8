export { makeClock } from './clock.js'
export { freePort } from './free-port.js'
export { launchRedisServer, startRedisServer } from './redis-server.js'
