// aedes on 127.0.0.1:PORT in the foreground, in-memory persistence (the default);
// with WSPORT also MQTT over WebSocket on ws://127.0.0.1:WSPORT/mqtt (the `ws`
// server, one MQTT stream per WebSocket, as aedes' README shows).
// ci/brokers.sh starts it as a child and stops it by pid (SIGTERM closes it).
//   usage: node aedes-server.mjs PORT [WSPORT]
import net from 'node:net'
import http from 'node:http'
import { Aedes } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'

const port = Number(process.argv[2])
const wsPort = process.argv[3] === undefined ? 0 : Number(process.argv[3])
if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(wsPort) || wsPort < 0) {
  console.error('usage: node aedes-server.mjs PORT [WSPORT]')
  process.exit(2)
}
const broker = await Aedes.createBroker()
const servers = [net.createServer(broker.handle)]
servers[0].listen(port, '127.0.0.1', () => console.log(`aedes listening on 127.0.0.1:${port}`))
if (wsPort) {
  const web = http.createServer()
  // ws selects the first subprotocol the client offers ("mqtt" from mqttspec) unless told otherwise.
  const wss = new WebSocketServer({ server: web, path: '/mqtt' })
  wss.on('connection', (socket, req) => broker.handle(createWebSocketStream(socket), req))
  web.listen(wsPort, '127.0.0.1', () => console.log(`aedes listening on ws://127.0.0.1:${wsPort}/mqtt`))
  servers.push(web)
}
process.on('SIGTERM', () => {
  let open = servers.length
  for (const s of servers) s.close(() => { if (--open === 0) broker.close(() => process.exit(0)) })
})
