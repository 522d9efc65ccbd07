// mosca on 127.0.0.1:PORT in the foreground, in-memory persistence.
// ci/brokers.sh starts it as a child and stops it by pid (SIGTERM closes it).
//   usage: node mosca-server.cjs PORT
'use strict'
const mosca = require('mosca')

const port = Number(process.argv[2])
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node mosca-server.cjs PORT')
  process.exit(2)
}
const server = new mosca.Server({
  host: '127.0.0.1',
  port,
  persistence: { factory: mosca.persistence.Memory },
  logger: { level: 'warn' }
})
server.on('ready', () => console.log(`mosca listening on 127.0.0.1:${port}`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
