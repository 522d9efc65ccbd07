// MQTT.js (npm mqtt, the version ci/ws-mqttjs pins) as an MQTT client under test for
// ci/client-gate.sh: the same arguments as paho_client.py.  One client run, a publisher of
// COUNT messages or a subscriber that stays for COUNT messages (0: until stopped); packet
// ids, acknowledgements, reconnecting and resending are left to the library.
//   usage: node mqttjs_client.js (pub|sub) --port N [-V 3.1.1|5.0] [-q QOS] [-i ID] [-c] ...
'use strict';
const path = require('path');
const mqtt = require(path.join(__dirname, '..', 'ws-mqttjs', 'node_modules', 'mqtt'));
const { parseArgs } = require('util');

const VERSIONS = { '3.1.1': 4, '5.0': 5 }; // protocol levels

function args() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      ws: { type: 'boolean', default: false }, // MQTT over WebSocket: ws://HOST:PORT/mqtt
      port: { type: 'string' },
      version: { type: 'string', short: 'V', default: '3.1.1' },
      topic: { type: 'string', short: 't', default: 'mqttspec/t' },
      qos: { type: 'string', short: 'q', default: '0' },
      id: { type: 'string', short: 'i' },
      persistent: { type: 'boolean', short: 'c', default: false },
      keepalive: { type: 'string', short: 'k', default: '60' },
      retain: { type: 'boolean', short: 'r', default: false },
      count: { type: 'string', short: 'n', default: '1' },
      message: { type: 'string', short: 'm', default: 'hello' },
      user: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'P' },
      'will-topic': { type: 'string' },
      'will-payload': { type: 'string', default: '' },
      'will-qos': { type: 'string', default: '0' },
      timeout: { type: 'string', default: '30' },
    },
  });
  const mode = positionals[0];
  if (!['pub', 'sub'].includes(mode) || !values.port || !(values.version in VERSIONS)) {
    console.error('usage: node mqttjs_client.js (pub|sub) --port N [-V 3.1.1|5.0] [options]');
    process.exit(2);
  }
  return { ...values, mode, qos: Number(values.qos), count: Number(values.count) };
}

function options(a) {
  const o = {
    protocolVersion: VERSIONS[a.version],
    clean: !a.persistent,
    keepalive: Number(a.keepalive),
    reconnectPeriod: 1000,
    connectTimeout: 5000,
  };
  if (a.id !== undefined) o.clientId = a.id;
  if (a.persistent && a.version === '5.0') o.properties = { sessionExpiryInterval: 300 };
  if (a.user !== undefined) { o.username = a.user; o.password = a.password; }
  if (a['will-topic']) {
    o.will = { topic: a['will-topic'], payload: a['will-payload'], qos: Number(a['will-qos']), retain: false };
  }
  return o;
}

function main() {
  const a = args();
  const c = mqtt.connect(a.ws ? `ws://${a.host}:${a.port}/mqtt` : `mqtt://${a.host}:${a.port}`, options(a));
  let connectedOnce = false;
  let received = 0;
  const finish = (code) => c.end(false, () => process.exit(code));
  c.on('connect', (connack) => {
    console.log(`connected: session present ${connack.sessionPresent}`);
    if (connectedOnce) return; // a reconnect: resending is the library's business
    connectedOnce = true;
    if (a.mode === 'sub') {
      c.subscribe(a.topic, { qos: a.qos }, (err) => { if (err) console.log(`subscribe: ${err.message}`); });
      return;
    }
    let left = a.count;
    for (let n = 1; n <= a.count; n++) {
      const payload = a.count === 1 ? a.message : `${a.message}${n}`;
      c.publish(a.topic, payload, { qos: a.qos, retain: a.retain }, (err) => {
        console.log(err ? `publish ${n}: ${err.message}` : `published ${n}`);
        if (--left === 0) finish(0);
      });
    }
  });
  // A QoS 1/2 message is complete once its last acknowledgement is written: 'message' comes
  // before the library's PUBACK or PUBCOMP, and 'packetsend' just before the write, so ending
  // in either (rather than on the next turn of the event loop) would put our DISCONNECT first.
  const messageComplete = () => { if (++received === a.count) setImmediate(finish, 0); };
  c.on('message', (topic, payload, packet) => {
    console.log(`received ${topic} qos ${packet.qos}: ${payload}`);
    if (packet.qos === 0) messageComplete();
  });
  c.on('packetsend', (packet) => { if (packet.cmd === 'puback' || packet.cmd === 'pubcomp') messageComplete(); });
  c.on('error', (e) => console.log(`error: ${e.message}`));
  c.on('close', () => console.log('connection closed'));
  c.on('disconnect', (p) => console.log(`disconnect from server: reason ${p.reasonCode}`));
  if (a.count) setTimeout(() => { console.log('timed out'); finish(1); }, Number(a.timeout) * 1000);
}

main();
