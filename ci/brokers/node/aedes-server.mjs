// aedes on 127.0.0.1:PORT in the foreground, in-memory persistence (the default).
// ci/brokers.sh starts it as a child and stops it by pid (SIGTERM closes it).
//   usage: node aedes-server.mjs PORT
import net from 'node:net'
import { Aedes } from 'aedes'

const port = Number(process.argv[2])
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node aedes-server.mjs PORT')
  process.exit(2)
}
const broker = await Aedes.createBroker()
const server = net.createServer(broker.handle)
server.listen(port, '127.0.0.1', () => console.log(`aedes listening on 127.0.0.1:${port}`))
process.on('SIGTERM', () => server.close(() => broker.close(() => process.exit(0))))
